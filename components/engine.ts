// The container layer's seam: components describe what they need as plain specs, and an engine maps
// each spec to resources (the docker CLI's dynamic providers, or @pulumi/docker and @pulumi/command).
// No component knows which engine runs it; the swap (health gate, proxy switch, guard) is the same.
import { ConfigError, EngineSetting } from "./config";
import * as pulumi from "./sdk";

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
}

/** One container with a fixed name. A change of image, network, ports or labels replaces it (old one first). */
export interface ContainerSpec {
    readonly name: string;
    readonly network: pulumi.Input<string>;
    readonly ports: PortBinding[];
    readonly labels: Record<string, string>;
    /** Docker restart policy. */
    readonly restart: "unless-stopped";
    /** Files in place before the first start; later changes are applied by their owner, not here. */
    readonly files: FileSeed[];
}

export interface SmokeTestSpec {
    /** Shell command; TARGET_URL and TARGET_COLOR are set for it. */
    readonly command: string;
    readonly color: string;
    readonly targetUrl: string;
    /** The target's container: a replacement makes the test run again. */
    readonly containerId: pulumi.Input<string>;
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
