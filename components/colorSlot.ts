// One colour of an App on one Docker engine: its container and its health gate.
import * as pulumi from "./sdk";
import { Color } from "./core/color";
import { containerName, loopbackUrl, MANAGED_LABEL } from "./core/names";
import { colourEndpoint, Site } from "./core/site";
import type { RegistryLogins, VolumeMountSetting } from "./core/validate";
import { ContainerHandle, Engine, ImageHandle } from "./engines/engine";
import { HealthCheck } from "./providers/healthCheck";

/** How a colour's health gate probes it; the same on one engine and on a swarm. */
export interface SlotHealth {
    /** Port the app listens on inside its container. */
    readonly appPort: pulumi.Input<number>;
    /** Health endpoint path, e.g. `/health`. */
    readonly healthPath: pulumi.Input<string>;
    /** Give up after this many seconds without `healthyThreshold` consecutive 2xx (from every replica). */
    readonly healthTimeoutSeconds: pulumi.Input<number>;
    /** Pause between probes once the colour answers. */
    readonly healthIntervalMs: pulumi.Input<number>;
    /** Consecutive 2xx answers needed (from each replica). */
    readonly healthyThreshold: pulumi.Input<number>;
}

/** What both kinds of colour slot share. */
export interface SlotArgs extends SlotHealth {
    /** The app's name; the container (or service) is called `<name>-<color>`. */
    readonly name: string;
    readonly color: Color;
    /** Maps the colour's image and container to resources (see components/engines/engine.ts). */
    readonly engine: Engine;
    /**
     * Image this colour runs. A change pulls it (when needed) first, then replaces the container
     * (the old one is removed first: names are fixed).
     */
    readonly image: pulumi.Input<string>;
    /** Logins for the image's registry, if the Docker client has none (a secret). */
    readonly registryAuth?: pulumi.Input<RegistryLogins>;
    /** Docker network shared with the proxy. */
    readonly network: pulumi.Input<string>;
    /** Whether this colour serves traffic after this update; becoming live re-runs the health check. */
    readonly live: pulumi.Input<boolean>;
}

export interface ColorSlotArgs extends SlotArgs {
    /** Loopback preview port on the host (published on 127.0.0.1 only). */
    readonly hostPort: pulumi.Input<number>;
    /** Where the container runs: on a remote engine the gate probes it from inside the proxy. */
    readonly site: Site;
    /** The proxy's container, whose name a remote engine's probes start from. */
    readonly proxyName: string;
    /** What the probes need running first (the proxy's container, on a remote engine). */
    readonly probeAfter?: pulumi.Resource;
    /** Named volumes the container mounts. */
    readonly volumes?: pulumi.Input<VolumeMountSetting[]>;
}

/** One colour: its container and the health gate that must pass before traffic may reach it. */
export class ColorSlot extends pulumi.ComponentResource {
    public readonly image: ImageHandle;
    public readonly container: ContainerHandle;
    /** Changes whenever the container does: the health gate and the smoke test then run again. */
    public readonly revision: pulumi.Output<string>;
    public readonly healthCheck: HealthCheck;
    /** Loopback URL of this colour, bypassing the proxy. */
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: ColorSlotArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:ColorSlot", name, {}, opts);

        this.url = pulumi.output(args.hostPort).apply(loopbackUrl);
        this.image = args.engine.image(
            `${name}-image`,
            { ref: args.image, registryAuth: args.registryAuth },
            { parent: this },
        );
        this.container = args.engine.container(
            `${name}-container`,
            {
                name: containerName(args.name, args.color),
                network: args.network,
                ports: [{ hostIp: "127.0.0.1", hostPort: args.hostPort, containerPort: args.appPort }],
                ...(args.volumes !== undefined ? { volumes: args.volumes } : {}),
                labels: { [MANAGED_LABEL]: args.name, "io.bluegreen.color": args.color },
                restart: "unless-stopped",
                files: [],
            },
            { ...this.image, ref: args.image },
            { parent: this },
        );
        this.revision = this.container.containerId;
        const healthAt = pulumi
            .all([args.hostPort, args.appPort])
            .apply(([hostPort, appPort]) =>
                colourEndpoint(args.site, { app: args.name, proxy: args.proxyName }, args.color, { hostPort, appPort }),
            );
        this.healthCheck = new HealthCheck(
            `${name}-health`,
            {
                color: args.color,
                url: pulumi.interpolate`${healthAt.url}${args.healthPath}`,
                probeFrom: healthAt.from,
                timeoutSeconds: args.healthTimeoutSeconds,
                intervalMs: args.healthIntervalMs,
                threshold: args.healthyThreshold,
                containerId: this.container.containerId,
                live: args.live,
            },
            { parent: this, dependsOn: args.probeAfter ? [args.probeAfter] : [] },
        );

        this.registerOutputs({ url: this.url, containerId: this.container.containerId });
    }
}
