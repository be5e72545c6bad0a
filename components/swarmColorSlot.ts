// One colour of an App on a Docker Swarm: its service of replicas and the gate over every one.
import * as pulumi from "./sdk";
import { containerName, loopbackUrl, MANAGED_LABEL, tasksHost } from "./core/names";
import { Engine, ImageHandle, ServiceHandle } from "./engines/engine";
import { HealthCheck } from "./providers/healthCheck";
import { SlotArgs } from "./colorSlot";
import { SwarmProxy } from "./swarmProxy";

export interface SwarmColorSlotArgs extends SlotArgs {
    readonly engine: Engine;
    /** Tasks of this colour, spread over the swarm's nodes. */
    readonly replicas: pulumi.Input<number>;
    /** The proxy's preview port for this colour, on the manager's 127.0.0.1. */
    readonly previewPort: pulumi.Input<number>;
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
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: SwarmColorSlotArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:SwarmColorSlot", name, {}, opts);

        const service = containerName(args.name, args.color);
        this.url = pulumi.output(args.previewPort).apply(loopbackUrl);
        this.image = args.engine.image(
            `${name}-image`,
            { ref: args.image, registryAuth: args.registryAuth },
            { parent: this },
        );
        this.service = args.engine.service(
            `${name}-service`,
            {
                name: service,
                network: args.network,
                replicas: args.replicas,
                ports: [],
                labels: { [MANAGED_LABEL]: args.name, "io.bluegreen.color": args.color },
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
                url: pulumi.interpolate`http://${tasksHost(args.name, args.color)}:${args.appPort}${args.healthPath}`,
                timeoutSeconds: args.healthTimeoutSeconds,
                intervalMs: args.healthIntervalMs,
                threshold: args.healthyThreshold,
                containerId: this.revision,
                live: args.live,
                replicaSet: pulumi
                    .all([args.network, args.appPort, args.healthPath, args.replicas])
                    .apply(([network, port, path, replicas]) => ({
                        service,
                        network,
                        probeFrom: args.proxy.serviceName,
                        port,
                        path,
                        replicas,
                    })),
            },
            { parent: this, dependsOn: [args.proxy.service.resource] },
        );

        this.registerOutputs({ url: this.url, serviceId: this.service.serviceId });
    }
}
