// The nginx service of a Proxy on a Docker Swarm (orchestrator swarm).
import * as pulumi from "./sdk";
import { Color } from "./core/color";
import { containerName, MANAGED_LABEL, tasksHost } from "./core/names";
import {
    PREVIEW_LISTEN_PORTS,
    PROXY_LISTEN_PORT,
    renderPlaceholderConfig,
    SWARM_CONF_DIR,
    SWARM_CONF_PATH,
    SwarmRouting,
    TLS_LISTEN_PORT,
} from "./core/nginx";
import type { RegistryLogins } from "./core/validate";
import { Engine, ImageHandle, ServiceHandle } from "./engines/engine";

/** nginx's routes on a swarm to the app `app`: both colours' replicas by DNS, one preview server each. */
export function swarmRouting(app: string): SwarmRouting {
    const colors: Color[] = ["blue", "green"];
    return {
        previews: colors.map((color) => ({
            color,
            host: tasksHost(app, color),
            listen: PREVIEW_LISTEN_PORTS[color],
        })),
    };
}

export interface SwarmProxyArgs {
    /** The proxy's name; the service is called `<name>-proxy`. */
    readonly name: string;
    /** The app behind it, whose colours' replicas it previews. */
    readonly app: string;
    /** Maps the proxy's image and service to resources (see components/engines/engine.ts). */
    readonly engine: Engine;
    /** nginx image (>= 1.27.4 for lossless reloads, >= 1.27.3 for `resolve`); needs `sh` and `base64`. */
    readonly image: pulumi.Input<string>;
    /** Logins for the image's registry, if the Docker client has none. */
    readonly registryAuth?: pulumi.Input<RegistryLogins>;
    /** Overlay network shared with the colours. */
    readonly network: pulumi.Input<string>;
    /** Public port, published in host mode on the manager. */
    readonly publicPort: pulumi.Input<number>;
    /** HTTPS port, published in host mode on the manager from the start. */
    readonly httpsPort: pulumi.Input<number>;
    /** Preview ports of the colours, published in host mode on the manager. */
    readonly previewPorts: Record<Color, pulumi.Input<number>>;
    /** Port the app listens on inside its containers. */
    readonly appPort: pulumi.Input<number>;
}

/**
 * The nginx service: one task, pinned to the manager the deploy talks to, publishing its ports in
 * host mode there. It starts with a placeholder config (503) and is never restarted by a colour
 * switch: the proxy switch rewrites its config in the volume and reloads it in place.
 */
export class SwarmProxy extends pulumi.ComponentResource {
    public readonly image: ImageHandle;
    public readonly service: ServiceHandle;
    /** Changes whenever the proxy's service does (its config volume outlives task restarts). */
    public readonly revision: pulumi.Output<string>;
    /** The service's name. */
    public readonly serviceName: string;

    constructor(name: string, args: SwarmProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:SwarmProxy", name, {}, opts);

        this.serviceName = containerName(args.name, "proxy");
        this.image = args.engine.image(
            `${name}-image`,
            { ref: args.image, registryAuth: args.registryAuth },
            { parent: this },
        );
        const placeholder = pulumi
            .output(args.appPort)
            .apply((port) => [
                { path: SWARM_CONF_PATH, content: renderPlaceholderConfig(swarmRouting(args.app), port).text },
            ]);
        this.service = args.engine.service(
            `${name}-service`,
            {
                name: this.serviceName,
                network: args.network,
                replicas: 1,
                ports: [
                    { published: args.publicPort, target: PROXY_LISTEN_PORT },
                    { published: args.httpsPort, target: TLS_LISTEN_PORT },
                    { published: args.previewPorts.blue, target: PREVIEW_LISTEN_PORTS.blue },
                    { published: args.previewPorts.green, target: PREVIEW_LISTEN_PORTS.green },
                ],
                labels: { [MANAGED_LABEL]: args.name, "io.bluegreen.role": "proxy" },
                onManager: true,
                files: placeholder,
                filesDir: SWARM_CONF_DIR,
                command: ["nginx", "-c", SWARM_CONF_PATH, "-g", "daemon off;"],
            },
            { ...this.image, ref: args.image },
            { parent: this },
        );

        this.revision = this.service.serviceId;

        this.registerOutputs({ serviceId: this.service.serviceId });
    }
}
