import * as pulumi from "./sdk";
import { Color } from "./config";
import { containerName, loopbackUrl, MANAGED_LABEL } from "./names";
import { ContainerHandle, Engine, ImageHandle } from "./engine";
import { HealthCheck } from "./providers/healthCheck";
import { colourEndpoint, Site } from "./site";

/** How a colour's health gate probes it; the same on one engine and on a swarm. */
export interface SlotHealth {
    /** Port the app listens on inside its container. */
    readonly appPort: number;
    /** Health endpoint path, e.g. `/health`. */
    readonly healthPath: string;
    /** Give up after this many seconds without `healthyThreshold` consecutive 2xx (from every replica). */
    readonly healthTimeoutSeconds: number;
    /** Pause between probes once the colour answers. */
    readonly healthIntervalMs: number;
    /** Consecutive 2xx answers needed (from each replica). */
    readonly healthyThreshold: number;
}

export interface ColorSlotArgs extends SlotHealth {
    /** Stack name; the container is called `<stack>-<color>`. */
    readonly stack: string;
    readonly color: Color;
    /** Maps the colour's image and container to resources (see components/engine.ts). */
    readonly engine: Engine;
    /**
     * Image this colour runs. A change pulls it (when needed) first, then replaces the container
     * (the old one is removed first: names are fixed).
     */
    readonly image: string;
    /** Docker network shared with the proxy. */
    readonly network: pulumi.Input<string>;
    /** Loopback preview port on the host (published on 127.0.0.1 only). */
    readonly hostPort: number;
    /** Whether this colour serves traffic after this update; becoming live re-runs the health check. */
    readonly live: boolean;
    /** Where the container runs: on a remote engine the gate probes it from inside the proxy. */
    readonly site: Site;
    /** What the probes need running first (the proxy's container, on a remote engine). */
    readonly probeAfter?: pulumi.Resource;
}

/** One colour: its container and the health gate that must pass before traffic may reach it. */
export class ColorSlot extends pulumi.ComponentResource {
    public readonly image: ImageHandle;
    public readonly container: ContainerHandle;
    /** Changes whenever the container does: the health gate and the smoke test then run again. */
    public readonly revision: pulumi.Output<string>;
    public readonly healthCheck: HealthCheck;
    /** Loopback URL of this colour, bypassing the proxy. */
    public readonly url: string;

    constructor(name: string, args: ColorSlotArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:ColorSlot", name, {}, opts);

        this.url = loopbackUrl(args.hostPort);
        this.image = args.engine.image(`${name}-image`, { ref: args.image }, { parent: this });
        this.container = args.engine.container(
            `${name}-container`,
            {
                name: containerName(args.stack, args.color),
                network: args.network,
                ports: [{ hostIp: "127.0.0.1", hostPort: args.hostPort, containerPort: args.appPort }],
                labels: { [MANAGED_LABEL]: args.stack, "io.bluegreen.color": args.color },
                restart: "unless-stopped",
                files: [],
            },
            { ...this.image, ref: args.image },
            { parent: this },
        );
        this.revision = this.container.containerId;
        const healthAt = colourEndpoint(args.site, args.stack, args.color, args);
        this.healthCheck = new HealthCheck(
            `${name}-health`,
            {
                color: args.color,
                url: `${healthAt.url}${args.healthPath}`,
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
