// The container layer's seam: components describe what they need as plain specs, and an engine maps
// each spec to resources (the docker CLI's dynamic providers, or @pulumi/docker and @pulumi/command).
// No component knows which engine runs it; the swap (health gate, proxy switch, guard) is the same.
import { ConfigError, EngineSetting, Orchestrator } from "./config";
import * as pulumi from "./sdk";
import type { SshTarget } from "./site";

export type EngineName = "docker-cli" | "docker-provider";
export const ENGINE_NAMES: readonly EngineName[] = ["docker-cli", "docker-provider"];
/** On containers made by an engine other than docker-cli (whose containers carry no such label). */
export const ENGINE_LABEL = "io.bluegreen.engine";

export interface PortBinding {
    /** Host address to publish on, e.g. 127.0.0.1 for loopback only or 0.0.0.0 for all. */
    readonly hostIp: string;
    readonly hostPort: number;
    readonly containerPort: number;
}

export interface FileSeed {
    readonly path: string;
    readonly content: string;
}

/** An image the stack runs: made present (pulled when missing) before any container is touched. */
export interface ImageSpec {
    /** A validated reference: `[host[:port]/]name[:tag][@sha256:…]`. */
    readonly ref: string;
}

export interface NetworkSpec {
    readonly name: string;
    readonly labels: Record<string, string>;
    /** `bridge` on one engine; `overlay` (attachable) spans a swarm's nodes. */
    readonly driver: "bridge" | "overlay";
}

/** A named volume mounted into a container; made when missing, kept when the container goes. */
export interface VolumeMount {
    readonly name: string;
    readonly path: string;
}

/**
 * One container with a fixed name. A change of image, network, ports, labels, volumes, environment
 * or shared namespaces replaces it (old one first).
 */
export interface ContainerSpec {
    readonly name: string;
    /** The Docker network it joins; ignored with `namespacesOf`. */
    readonly network: pulumi.Input<string>;
    /**
     * Another container (its ID) whose network and PID namespaces this one shares, as a sidecar:
     * it then has no network or ports of its own.
     */
    readonly namespacesOf?: pulumi.Input<string>;
    readonly volumes?: VolumeMount[];
    readonly env?: Record<string, string>;
    readonly ports: PortBinding[];
    readonly labels: Record<string, string>;
    /** Docker restart policy. */
    readonly restart: "unless-stopped";
    /** Files in place before the first start; later changes are applied by their owner, not here. */
    readonly files: FileSeed[];
}

/** A port a swarm service publishes in host mode on the nodes that run its tasks (no routing mesh). */
export interface ServicePort {
    readonly published: number;
    readonly target: number;
}

/**
 * A Swarm service with a fixed name: `replicas` tasks spread over the nodes, reached by DNS
 * round-robin (`tasks.<name>`), never through the routing mesh. A change of image, network, ports,
 * labels, files or command replaces it (old one first); a change of `replicas` scales it in place.
 */
export interface ServiceSpec {
    readonly name: string;
    readonly network: pulumi.Input<string>;
    readonly replicas: number;
    readonly ports: ServicePort[];
    /** On the service and on its task containers. */
    readonly labels: Record<string, string>;
    /** Pin the tasks to the node the deploy talks to (a manager): the proxy lives there. */
    readonly onManager: boolean;
    /**
     * Files written when missing at each task start, all in `filesDir`, which is a volume on the
     * node (`<name>-files`): a restarted task keeps what its owner wrote there since. Needs `sh`.
     */
    readonly files: FileSeed[];
    readonly filesDir?: string;
    /** Overrides the image's command (needed with files: the seeding runs first). */
    readonly command?: string[];
}

export interface SmokeTestSpec {
    /** Shell command; TARGET_URL and TARGET_COLOR are set for it. */
    readonly command: string;
    readonly color: string;
    readonly targetUrl: string;
    /** The target's container: a replacement makes the test run again. */
    readonly containerId: pulumi.Input<string>;
    /** On an ssh:// engine: TARGET_URL is an ssh tunnel from this machine to this port on the server. */
    readonly tunnel?: SshTarget & { readonly remotePort: number };
}

export interface ImageHandle {
    readonly resource: pulumi.Resource;
    /** What a container is created from: the image's ID, so it runs the bytes that were pulled. */
    readonly imageId: pulumi.Output<string>;
    /** The registry digest (`name@sha256:…`), or the image ID for an image built locally. */
    readonly digest: pulumi.Output<string>;
}

export interface ContainerHandle {
    readonly resource: pulumi.Resource;
    readonly containerId: pulumi.Output<string>;
}

export interface ServiceHandle {
    readonly resource: pulumi.Resource;
    readonly serviceId: pulumi.Output<string>;
}

export interface NetworkHandle {
    readonly resource: pulumi.Resource;
    readonly name: pulumi.Output<string>;
}

/** What a colour runs, for people: the registry digest, or the image ID of an image built locally. */
export function imageDigest(image: {
    readonly repoDigest: pulumi.Output<string>;
    readonly imageId: pulumi.Output<string>;
}): pulumi.Output<string> {
    return pulumi.output([image.repoDigest, image.imageId]).apply(([repoDigest, imageId]) => repoDigest || imageId);
}

/** The swarm a deploy talks to (DOCKER_HOST or the docker context points at one of its managers). */
export interface SwarmTarget {
    /** That manager's node ID: services with `onManager` are pinned to it. */
    readonly managerNodeId: string;
}

/** The node constraint of a service spec on `swarm` ("" when its tasks may run anywhere). */
export function pinnedNode(spec: Pick<ServiceSpec, "onManager">, swarm: SwarmTarget | undefined): string {
    if (!spec.onManager) {
        return "";
    }
    if (swarm === undefined) {
        throw new Error("a service pinned to the manager needs orchestrator swarm (no swarm manager known)");
    }
    return swarm.managerNodeId;
}

/** Maps specs to resources; each method names its resources from `name` and passes `opts` through. */
export interface Engine {
    readonly name: EngineName;
    image(name: string, spec: ImageSpec, opts: pulumi.CustomResourceOptions): ImageHandle;
    network(name: string, spec: NetworkSpec, opts: pulumi.CustomResourceOptions): NetworkHandle;
    container(
        name: string,
        spec: ContainerSpec,
        image: ImageHandle & { readonly ref: string },
        opts: pulumi.CustomResourceOptions,
    ): ContainerHandle;
    service(
        name: string,
        spec: ServiceSpec,
        image: ImageHandle & { readonly ref: string },
        opts: pulumi.CustomResourceOptions,
    ): ServiceHandle;
    smokeTest(name: string, spec: SmokeTestSpec, opts: pulumi.CustomResourceOptions): pulumi.Resource;
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
export function seededCommand(spec: Pick<ServiceSpec, "files" | "command">): {
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
