import * as pulumi from "./sdk";
import { NGINX_CONF_PATH, PROXY_LISTEN_PORT, renderPlaceholderConfig, TLS_LISTEN_PORT } from "./nginx";
import { containerName, MANAGED_LABEL } from "./names";
import { ContainerHandle, Engine, ImageHandle } from "./engine";

export interface ProxyArgs {
    /** Stack name; the container is called `<stack>-proxy`. */
    readonly stack: string;
    /** Maps the proxy's image and container to resources (see components/engine.ts). */
    readonly engine: Engine;
    /** nginx image (>= 1.27.4 for lossless reloads); pulled when missing. */
    readonly image: string;
    /** Docker network shared with the colours. */
    readonly network: pulumi.Input<string>;
    /** Public port, published on all host addresses. */
    readonly publicPort: number;
    /** HTTPS port, published on all host addresses from the start, so turning TLS on keeps the container. */
    readonly httpsPort: number;
}

/**
 * The nginx container. It starts with a placeholder config (503) and is never recreated by a
 * colour switch: the proxy switch rewrites its config and reloads it in place.
 */
export class Proxy extends pulumi.ComponentResource {
    public readonly image: ImageHandle;
    public readonly container: ContainerHandle;
    /** Changes whenever the proxy's container does: the switch then applies its config again. */
    public readonly revision: pulumi.Output<string>;
    public readonly name: string;

    constructor(name: string, args: ProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:Proxy", name, {}, opts);

        this.name = containerName(args.stack, "proxy");
        this.image = args.engine.image(`${name}-image`, { ref: args.image }, { parent: this });
        this.container = args.engine.container(
            `${name}-container`,
            {
                name: this.name,
                network: args.network,
                ports: [
                    { hostIp: "0.0.0.0", hostPort: args.publicPort, containerPort: PROXY_LISTEN_PORT },
                    { hostIp: "0.0.0.0", hostPort: args.httpsPort, containerPort: TLS_LISTEN_PORT },
                ],
                labels: { [MANAGED_LABEL]: args.stack, "io.bluegreen.role": "proxy" },
                restart: "unless-stopped",
                files: [{ path: NGINX_CONF_PATH, content: renderPlaceholderConfig().text }],
            },
            { ...this.image, ref: args.image },
            { parent: this },
        );

        this.revision = this.container.containerId;

        this.registerOutputs({ containerId: this.container.containerId });
    }
}
