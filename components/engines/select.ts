// Gathers the facts that choose a stack's engine (components/core/engineRules.ts, chooseEngine) and builds it.
// Runs in the program, before any resource: one `docker ps` and a look at the plugin cache.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Engine } from "./engine";
import {
    checkOrchestrator,
    chooseEngine,
    ENGINE_LABEL,
    EngineFacts,
    EngineName,
    ENGINE_NAMES,
    SwarmInfo,
    swarmTarget,
    SwarmTarget,
} from "../core/engineRules";
import { Orchestrator, ProxySettings } from "../core/proxySettings";
import { ConfigError } from "../core/configError";
import { MANAGED_LABEL } from "../core/names";
import { dockerCliEngine } from "./dockerCli";
import { dockerSync } from "../runtime/docker";
import { describeEngineFailure, Site } from "../core/site";
import { findSite } from "../runtime/engineAddress";

/** The plugins the npm packages ask for, as `[name, version]`. */
export function requiredPlugins(): [string, string][] {
    return ["docker", "command"].map((name) => {
        const pkg = require(`@pulumi/${name}/package.json`) as { version: string; pulumi?: { version?: string } };
        return [name, (pkg.pulumi?.version ?? pkg.version).replace(/^v/, "")];
    });
}

/** Whether each plugin is in the plugin cache or on PATH, or the CLI may download it. */
export function pluginsAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
    if (env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION !== "true") {
        return true; // a standard install downloads them on first use
    }
    const home = env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
    const onPath = (bin: string) =>
        (env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && fs.existsSync(path.join(dir, bin)));
    return requiredPlugins().every(
        ([name, version]) =>
            fs.existsSync(path.join(home, "plugins", `resource-${name}-v${version}`, `pulumi-resource-${name}`)) ||
            onPath(`pulumi-resource-${name}`),
    );
}

/** Engines and orchestrators of the stack's existing containers (docker-cli's carry no engine label). */
export function runningContainers(
    stack: string,
    site?: Site,
): { engines: EngineName[]; orchestrators: Orchestrator[] } {
    const result = dockerSync([
        "ps",
        "--all",
        "--filter",
        `label=${MANAGED_LABEL}=${stack}`,
        "--format",
        `{{.Label "${ENGINE_LABEL}"}} {{.Label "com.docker.swarm.service.id"}}`,
    ]);
    if (result.code !== 0) {
        if (site?.kind === "remote") {
            // Before anything changes: one line naming the host and what failed (ssh, docker, daemon).
            throw new ConfigError(describeEngineFailure(site, `${result.stderr}${result.error ?? ""}`));
        }
        return { engines: [], orchestrators: [] }; // no local engine answers: the resources report that themselves
    }
    // One line per container; an empty engine label is docker-cli's, a service ID a swarm task's.
    const lines = result.stdout.split("\n").slice(0, -1);
    const engines = lines.map((line) => line.split(" ")[0] || "docker-cli");
    const orchestrators = lines.map((line): Orchestrator => (line.split(" ")[1] ? "swarm" : "docker"));
    return {
        engines: [...new Set(engines)].filter((e): e is EngineName => (ENGINE_NAMES as readonly string[]).includes(e)),
        orchestrators: [...new Set(orchestrators)],
    };
}

/** The swarm DOCKER_HOST (or the docker context) points at, checked to be reachable through a manager. */
export function findSwarm(): SwarmTarget {
    const address = process.env.DOCKER_HOST || "the default socket";
    const result = dockerSync(["info", "--format", "{{json .Swarm}}"]);
    if (result.code !== 0) {
        const why = (result.stderr || result.error || "").trim().split("\n").pop();
        throw new ConfigError(
            `bluegreen:orchestrator is swarm but the Docker engine at ${address} does not answer: ${why}`,
        );
    }
    return swarmTarget(JSON.parse(result.stdout) as SwarmInfo, address);
}

export function engineFacts(stack: string, site?: Site): EngineFacts {
    const running = runningContainers(stack, site);
    return {
        running: running.engines,
        orchestrators: running.orchestrators,
        pluginsAvailable: pluginsAvailable(),
        plugins: requiredPlugins()
            .map(([name, version]) => `${name} v${version}`)
            .join(", "),
    };
}

/** The engine a proxy (and its apps) runs on, chosen from its settings and what already runs under `name`. */
export function selectEngine(
    name: string,
    settings: Pick<ProxySettings, "engine" | "orchestrator">,
    site: Site,
): Engine {
    const facts = engineFacts(name, site);
    checkOrchestrator(settings.orchestrator, facts.orchestrators ?? []);
    const engine = chooseEngine(settings.engine, facts);
    const swarm = settings.orchestrator === "swarm" ? findSwarm() : undefined;
    if (engine === "docker-provider") {
        const { dockerProviderEngine } = require("./dockerProvider") as typeof import("./dockerProvider");
        return dockerProviderEngine(swarm, site);
    }
    return dockerCliEngine(swarm);
}

/** Where a proxy's containers run, and the engine that makes them. */
export interface DeploymentTarget {
    readonly site: Site;
    readonly engine: Engine;
}

let pinned: DeploymentTarget | undefined;

/**
 * For unit tests of the resource graph (Pulumi mocks): every Proxy then takes this target instead
 * of asking Docker. `undefined` ends it.
 */
export function pinTarget(target: DeploymentTarget | undefined): void {
    pinned = target;
}

/** The target of the proxy `name`: the engine at DOCKER_HOST (or the docker context), and its engine. */
export function deploymentTarget(
    name: string,
    settings: Pick<ProxySettings, "engine" | "orchestrator">,
): DeploymentTarget {
    if (pinned !== undefined) {
        return pinned;
    }
    const site = findSite();
    return { site, engine: selectEngine(name, settings, site) };
}
