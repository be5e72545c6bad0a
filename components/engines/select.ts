// Gathers the facts that choose a stack's engine (components/engine.ts, chooseEngine) and builds it.
// Runs in the program, before any resource: one `docker ps` and a look at the plugin cache.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Settings } from "../config";
import { chooseEngine, Engine, ENGINE_LABEL, EngineFacts, EngineName, ENGINE_NAMES } from "../engine";
import { MANAGED_LABEL } from "../names";
import * as pulumi from "../sdk";
import { dockerCliEngine } from "./dockerCli";

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

/** Engines of the stack's existing containers (docker-cli's carry no engine label). */
export function runningEngines(stack: string): EngineName[] {
    const result = childProcess.spawnSync(
        "docker",
        ["ps", "--all", "--filter", `label=${MANAGED_LABEL}=${stack}`, "--format", `{{.Label "${ENGINE_LABEL}"}}`],
        { encoding: "utf8", timeout: 30000 },
    );
    if (result.status !== 0) {
        return []; // no engine answers: the resources report that themselves
    }
    // One line per container; an empty label is docker-cli's.
    const engines = result.stdout
        .split("\n")
        .slice(0, -1)
        .map((label) => label || "docker-cli");
    return [...new Set(engines)].filter((e): e is EngineName => (ENGINE_NAMES as readonly string[]).includes(e));
}

export function engineFacts(stack: string): EngineFacts {
    return {
        running: runningEngines(stack),
        pluginsAvailable: pluginsAvailable(),
        plugins: requiredPlugins()
            .map(([name, version]) => `${name} v${version}`)
            .join(", "),
    };
}

/** The engine this run uses, with the registry logins as a secret. */
export function selectEngine(stack: string, settings: Settings): Engine {
    const name = chooseEngine(settings.engine, engineFacts(stack));
    const auth = settings.registryAuth === undefined ? undefined : pulumi.secret(settings.registryAuth);
    if (name === "docker-provider") {
        const { dockerProviderEngine } = require("./dockerProvider") as typeof import("./dockerProvider");
        return dockerProviderEngine(auth);
    }
    return dockerCliEngine(auth);
}
