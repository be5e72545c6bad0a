// The container layer's seam: components describe what they need as specs (plain shapes whose
// values may be Inputs), and an engine maps each spec to resources (the docker CLI's dynamic providers, or @pulumi/docker and @pulumi/command).
// No component knows which engine runs it; the swap (health gate, proxy switch, guard) is the same.
import type { EngineName, FileSeed } from "../core/engineRules";
import type { RegistryLogins } from "../core/validate";
import * as pulumi from "../sdk";
import type { SshTarget } from "../core/site";

export interface PortBinding {
    /** Host address to publish on, e.g. 127.0.0.1 for loopback only or 0.0.0.0 for all. */
    readonly hostIp: string;
    readonly hostPort: pulumi.Input<number>;
    readonly containerPort: pulumi.Input<number>;
}

/** An image the stack runs: made present (pulled when missing) before any container is touched. */
export interface ImageSpec {
    /** A validated reference: `[host[:port]/]name[:tag][@sha256:…]`. */
    readonly ref: pulumi.Input<string>;
    /** Logins for registries the Docker client has no `docker login` for (a secret). */
    readonly registryAuth?: pulumi.Input<RegistryLogins>;
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
    readonly volumes?: pulumi.Input<VolumeMount[]>;
    readonly env?: pulumi.Input<Record<string, string>>;
    readonly ports: PortBinding[];
    readonly labels: Record<string, string>;
    /** Docker restart policy. */
    readonly restart: "unless-stopped";
    /** Files in place before the first start; later changes are applied by their owner, not here. */
    readonly files: FileSeed[];
}

/** A port a swarm service publishes in host mode on the nodes that run its tasks (no routing mesh). */
export interface ServicePort {
    readonly published: pulumi.Input<number>;
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
    readonly replicas: pulumi.Input<number>;
    readonly ports: ServicePort[];
    /** On the service and on its task containers. */
    readonly labels: Record<string, string>;
    /** Pin the tasks to the node the deploy talks to (a manager): the proxy lives there. */
    readonly onManager: boolean;
    /**
     * Files written when missing at each task start, all in `filesDir`, which is a volume on the
     * node (`<name>-files`): a restarted task keeps what its owner wrote there since. Needs `sh`.
     */
    readonly files: pulumi.Input<FileSeed[]>;
    readonly filesDir?: string;
    /** Overrides the image's command (needed with files: the seeding runs first). */
    readonly command?: string[];
}

export interface SmokeTestSpec {
    /** Shell command; TARGET_URL and TARGET_COLOR are set for it. */
    readonly command: pulumi.Input<string>;
    readonly color: pulumi.Input<string>;
    readonly targetUrl: pulumi.Input<string>;
    /** The target's container: a replacement makes the test run again. */
    readonly containerId: pulumi.Input<string>;
    /** On an ssh:// engine: TARGET_URL is an ssh tunnel from this machine to this port on the server. */
    readonly tunnel?: pulumi.Input<SshTarget & { readonly remotePort: number }>;
}

export interface ImageHandle {
    readonly resource: pulumi.Resource;
    /** What a container is created from: the image's ID, so it runs the bytes that were pulled. */
    readonly imageId: pulumi.Output<string>;
    /** The registry digest (`name@sha256:…`), or the image ID for an image built locally. */
    readonly digest: pulumi.Output<string>;
    /** The logins it was pulled with: its containers go through the same provider. */
    readonly registryAuth?: pulumi.Input<RegistryLogins>;
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

/** Maps specs to resources; each method names its resources from `name` and passes `opts` through. */
export interface Engine {
    readonly name: EngineName;
    image(name: string, spec: ImageSpec, opts: pulumi.CustomResourceOptions): ImageHandle;
    network(name: string, spec: NetworkSpec, opts: pulumi.CustomResourceOptions): NetworkHandle;
    container(
        name: string,
        spec: ContainerSpec,
        image: ImageHandle & { readonly ref: pulumi.Input<string> },
        opts: pulumi.CustomResourceOptions,
    ): ContainerHandle;
    service(
        name: string,
        spec: ServiceSpec,
        image: ImageHandle & { readonly ref: pulumi.Input<string> },
        opts: pulumi.CustomResourceOptions,
    ): ServiceHandle;
    smokeTest(name: string, spec: SmokeTestSpec, opts: pulumi.CustomResourceOptions): pulumi.Resource;
}
