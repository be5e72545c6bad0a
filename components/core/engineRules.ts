// Which engine and orchestrator a stack runs on, and how a swarm service seeds its files. Pure: the
// facts are gathered by components/engines/select.ts, the rules here decide.
import { ConfigError } from "./configError";
import type { EngineSetting, Orchestrator } from "./proxySettings";

export type EngineName = "docker-cli" | "docker-provider";
export const ENGINE_NAMES: readonly EngineName[] = ["docker-cli", "docker-provider"];
/** On containers made by an engine other than docker-cli (whose containers carry no such label). */
export const ENGINE_LABEL = "io.bluegreen.engine";

/** The swarm a deploy talks to (DOCKER_HOST or the docker context points at one of its managers). */
export interface SwarmTarget {
    /** That manager's node ID: services with `onManager` are pinned to it. */
    readonly managerNodeId: string;
}

/** The node constraint of a service spec on `swarm` ("" when its tasks may run anywhere). */
export function pinnedNode(spec: { readonly onManager: boolean }, swarm: SwarmTarget | undefined): string {
    if (!spec.onManager) {
        return "";
    }
    if (swarm === undefined) {
        throw new Error("a service pinned to the manager needs orchestrator swarm (no swarm manager known)");
    }
    return swarm.managerNodeId;
}

/** A file written into a container before it first starts. */
export interface FileSeed {
    readonly path: string;
    readonly content: string;
}

/** What decides the engine of a stack, gathered by components/engines/select.ts. */
export interface EngineFacts {
    /** Engines that made the stack's existing containers (empty for a stack not deployed yet). */
    readonly running: readonly EngineName[];
    /** Whether the docker and command resource plugins are installed or can be downloaded. */
    readonly pluginsAvailable: boolean;
    /** The plugins the npm packages ask for, for messages: "docker v4.5.6, command v1.0.1". */
    readonly plugins: string;
    /** What runs the stack's existing containers: plain containers (docker) or swarm tasks. */
    readonly orchestrators?: readonly Orchestrator[];
}

/**
 * Refuses moving a deployed stack between orchestrators: every container would be recreated as a
 * service (or back), dropping traffic, and the ports would clash while both exist.
 */
export function checkOrchestrator(setting: Orchestrator, running: readonly Orchestrator[]): void {
    const current = running.find((o) => o !== setting);
    if (current !== undefined) {
        throw new ConfigError(
            `bluegreen:orchestrator is ${setting} but this stack runs on ${current}; changing orchestrators would ` +
                `recreate every container and drop traffic. Keep it (pulumi config set orchestrator ${current}), or ` +
                `deploy a new stack on ${setting}, move traffic to it, then pulumi destroy this one`,
        );
    }
}

/** What `docker info` says of the engine's swarm membership (its `.Swarm` object). */
export interface SwarmInfo {
    readonly LocalNodeState?: string;
    readonly ControlAvailable?: boolean;
    readonly NodeID?: string;
}

/** The swarm to deploy to, or a one-line error that says how to point at a manager. */
export function swarmTarget(info: SwarmInfo, engineAddress: string): SwarmTarget {
    const where = `the Docker engine at ${engineAddress}`;
    if (info.LocalNodeState !== "active") {
        throw new ConfigError(
            `bluegreen:orchestrator is swarm but ${where} is not part of a swarm (state ${info.LocalNodeState || "unknown"}); ` +
                `point DOCKER_HOST (or the docker context) at a swarm manager, or run docker swarm init there`,
        );
    }
    if (info.ControlAvailable !== true || !info.NodeID) {
        throw new ConfigError(
            `bluegreen:orchestrator is swarm but ${where} is a swarm worker; point DOCKER_HOST (or the docker ` +
                `context) at a manager (docker node ls on a manager lists them)`,
        );
    }
    return { managerNodeId: info.NodeID };
}

/**
 * The engine for this run. A deployed stack keeps the engine its containers were made with:
 * `auto` follows it, and an explicit other engine is refused (the new engine would recreate every
 * container, dropping traffic). A new stack gets docker-provider when its plugins can be had.
 */
export function chooseEngine(setting: EngineSetting, facts: EngineFacts): EngineName {
    const current = facts.running[0];
    if (current !== undefined) {
        if (setting !== "auto" && setting !== current) {
            throw new ConfigError(
                `bluegreen:engine is ${setting} but this stack's containers run on ${current}; changing engines would ` +
                    `recreate every container and drop traffic. Keep it (pulumi config set engine ${current}), or deploy ` +
                    `a new stack on ${setting}, move traffic to it, then pulumi destroy this one`,
            );
        }
        return current;
    }
    if (setting === "docker-provider" && !facts.pluginsAvailable) {
        throw new ConfigError(
            `bluegreen:engine is docker-provider but the resource plugins it needs (${facts.plugins}) are not ` +
                `installed and plugin downloads are off; install them (pulumi plugin install resource docker <version>) ` +
                `or set engine to docker-cli or auto`,
        );
    }
    if (setting === "auto") {
        return facts.pluginsAvailable ? "docker-provider" : "docker-cli";
    }
    return setting;
}

/** Environment variable that carries file `i` of a service's seed files (base64). */
export const SEED_ENV_PREFIX = "BLUEGREEN_SEED_";

/**
 * How a service writes its seed files at each task start, when missing: an `sh` wrapper around the
 * command, with each file's content in an environment variable (base64: any bytes, one line).
 */
export function seededCommand(spec: { readonly files: readonly FileSeed[]; readonly command?: string[] }): {
    readonly command?: string[];
    readonly env: Record<string, string>;
} {
    if (spec.files.length === 0) {
        return { command: spec.command, env: {} };
    }
    if (spec.command === undefined || spec.command.length === 0) {
        throw new Error("a service with seed files needs an explicit command (the wrapper runs it after seeding)");
    }
    const env: Record<string, string> = {};
    const steps = spec.files.map((file, i) => {
        if (!/^\/[A-Za-z0-9._\/-]+$/.test(file.path)) {
            throw new Error(`seed file path must be absolute and plain (got ${JSON.stringify(file.path)})`);
        }
        env[`${SEED_ENV_PREFIX}${i}`] = Buffer.from(file.content).toString("base64");
        return `{ [ -s ${file.path} ] || printenv ${SEED_ENV_PREFIX}${i} | base64 -d > ${file.path}; }`;
    });
    return { command: ["sh", "-c", `${steps.join(" && ")} && exec "$@"`, "--", ...spec.command], env };
}
