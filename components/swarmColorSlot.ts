import * as pulumi from "./sdk";
import { Color } from "./config";
import { Engine, ImageHandle, ServiceHandle } from "./engine";
import { containerName, loopbackUrl, MANAGED_LABEL, tasksHost } from "./names";
import { HealthCheck } from "./providers/healthCheck";
import { SlotHealth } from "./colorSlot";
import { SwarmProxy } from "./swarmProxy";

export interface SwarmColorSlotArgs extends SlotHealth {
    /** Stack name; the service is called `<stack>-<color>`. */
    readonly stack: string;
    readonly color: Color;
    /** Maps the colour's image and service to resources (see components/engine.ts). */
    readonly engine: Engine;
    /** Image every replica runs. A change replaces the service (this colour is idle then). */
    readonly image: string;
    /** Overlay network shared with the proxy. */
    readonly network: pulumi.Input<string>;
    /** Tasks of this colour, spread over the swarm's nodes. */
    readonly replicas: number;
    /** The proxy's preview port for this colour, on the manager's 127.0.0.1. */
    readonly previewPort: number;
    /** Whether this colour serves traffic after this update; becoming live re-runs the health check. */
    readonly live: boolean;
    /** The proxy: the gate probes the replicas from its task, inside the overlay network. */
    readonly proxy: SwarmProxy;
}

/** One colour on a swarm: its service of `replicas` tasks and the gate over every one of them. */
export class SwarmColorSlot extends pulumi.ComponentResource {
    public readonly image: ImageHandle;
    public readonly service: ServiceHandle;
    /** Changes whenever the replicas do (a new service, image or count): the gate then runs again. */
    public readonly revision: pulumi.Output<string>;
    public readonly healthCheck: HealthCheck;
    /** This colour through the proxy's preview port, bypassing the live switch. */
    public readonly url: string;

    constructor(name: string, args: SwarmColorSlotArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:SwarmColorSlot", name, {}, opts);

        const service = containerName(args.stack, args.color);
        this.url = loopbackUrl(args.previewPort);
        this.image = args.engine.image(`${name}-image`, { ref: args.image }, { parent: this });
        this.service = args.engine.service(
            `${name}-service`,
            {
                name: service,
                network: args.network,
                replicas: args.replicas,
                ports: [],
                labels: { [MANAGED_LABEL]: args.stack, "io.bluegreen.color": args.color },
                onManager: false,
                files: [],
            },
            { ...this.image, ref: args.image },
            { parent: this },
        );
        this.revision = pulumi.interpolate`${this.service.serviceId}/${this.image.imageId}/${args.replicas}`;
        this.healthCheck = new HealthCheck(
            `${name}-health`,
            {
                color: args.color,
                url: `http://${tasksHost(args.stack, args.color)}:${args.appPort}${args.healthPath}`,
                timeoutSeconds: args.healthTimeoutSeconds,
                intervalMs: args.healthIntervalMs,
                threshold: args.healthyThreshold,
                containerId: this.revision,
                live: args.live,
                replicaSet: pulumi.output(args.network).apply((network) => ({
                    service,
                    network,
                    probeFrom: args.proxy.name,
                    port: args.appPort,
                    path: args.healthPath,
                    replicas: args.replicas,
                })),
            },
            { parent: this, dependsOn: [args.proxy.service.resource] },
        );

        this.registerOutputs({ url: this.url, serviceId: this.service.serviceId });
    }
}
