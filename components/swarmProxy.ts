import * as pulumi from "./sdk";
import { Color } from "./config";
import { Engine, ImageHandle, ServiceHandle } from "./engine";
import { containerName, MANAGED_LABEL, tasksHost } from "./names";
import {
    PREVIEW_LISTEN_PORTS,
    PROXY_LISTEN_PORT,
    renderPlaceholderConfig,
    SwarmRouting,
    TLS_LISTEN_PORT,
} from "./nginx";

/** Where the proxy's config lives on a swarm: a volume on the manager, so a restarted task keeps it. */
export const SWARM_CONF_DIR = "/etc/nginx/bluegreen";
export const SWARM_CONF_PATH = `${SWARM_CONF_DIR}/nginx.conf`;

/** nginx's routes on a swarm: both colours' replicas by DNS, one preview server each. */
export function swarmRouting(stack: string): SwarmRouting {
    const colors: Color[] = ["blue", "green"];
    return {
        previews: colors.map((color) => ({
            color,
            host: tasksHost(stack, color),
            listen: PREVIEW_LISTEN_PORTS[color],
        })),
    };
}

export interface SwarmProxyArgs {
    /** Stack name; the service is called `<stack>-proxy`. */
    readonly stack: string;
    /** Maps the proxy's image and service to resources (see components/engine.ts). */
    readonly engine: Engine;
    /** nginx image (>= 1.27.4 for lossless reloads, >= 1.27.3 for `resolve`); needs `sh` and `base64`. */
    readonly image: string;
    /** Overlay network shared with the colours. */
    readonly network: pulumi.Input<string>;
    /** Public port, published in host mode on the manager. */
    readonly publicPort: number;
    /** HTTPS port, published in host mode on the manager from the start. */
    readonly httpsPort: number;
    /** Preview ports of the colours, published in host mode on the manager. */
    readonly previewPorts: Record<Color, number>;
    /** Port the app listens on inside its containers. */
    readonly appPort: number;
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
    public readonly name: string;

    constructor(name: string, args: SwarmProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:SwarmProxy", name, {}, opts);

        this.name = containerName(args.stack, "proxy");
        this.image = args.engine.image(`${name}-image`, { ref: args.image }, { parent: this });
        this.service = args.engine.service(
            `${name}-service`,
            {
                name: this.name,
                network: args.network,
                replicas: 1,
                ports: [
                    { published: args.publicPort, target: PROXY_LISTEN_PORT },
                    { published: args.httpsPort, target: TLS_LISTEN_PORT },
                    { published: args.previewPorts.blue, target: PREVIEW_LISTEN_PORTS.blue },
                    { published: args.previewPorts.green, target: PREVIEW_LISTEN_PORTS.green },
                ],
                labels: { [MANAGED_LABEL]: args.stack, "io.bluegreen.role": "proxy" },
                onManager: true,
                files: [
                    {
                        path: SWARM_CONF_PATH,
                        content: renderPlaceholderConfig(swarmRouting(args.stack), args.appPort).text,
                    },
                ],
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
