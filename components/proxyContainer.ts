// The nginx container of a Proxy on one Docker engine (orchestrator docker).
import * as pulumi from "./sdk";
import { NGINX_CONF_PATH, PROXY_LISTEN_PORT, renderPlaceholderConfig, TLS_LISTEN_PORT } from "./core/nginx";
import { containerName, MANAGED_LABEL } from "./core/names";
import type { RegistryLogins } from "./core/validate";
import { ContainerHandle, Engine, ImageHandle } from "./engines/engine";

export interface ProxyContainerArgs {
    /** The proxy's name; the container is called `<name>-proxy`. */
    readonly name: string;
    /** Maps the proxy's image and container to resources (see components/engines/engine.ts). */
    readonly engine: Engine;
    /** nginx image (>= 1.27.4 for lossless reloads); pulled when missing. */
    readonly image: pulumi.Input<string>;
    /** Logins for the image's registry, if the Docker client has none. */
    readonly registryAuth?: pulumi.Input<RegistryLogins>;
    /** Docker network shared with the colours. */
    readonly network: pulumi.Input<string>;
    /** Public port, published on all host addresses. */
    readonly publicPort: pulumi.Input<number>;
    /** HTTPS port, published on all host addresses from the start, so turning TLS on keeps the container. */
    readonly httpsPort: pulumi.Input<number>;
}

/**
 * The nginx container. It starts with a placeholder config (503) and is never recreated by a
 * colour switch: the proxy switch rewrites its config and reloads it in place.
 */
export class ProxyContainer extends pulumi.ComponentResource {
    public readonly image: ImageHandle;
    public readonly container: ContainerHandle;
    /** Changes whenever the proxy's container does: the switch then applies its config again. */
    public readonly revision: pulumi.Output<string>;
    /** The container's name. */
    public readonly containerName: string;

    constructor(name: string, args: ProxyContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:ProxyContainer", name, {}, opts);

        this.containerName = containerName(args.name, "proxy");
        this.image = args.engine.image(
            `${name}-image`,
            { ref: args.image, registryAuth: args.registryAuth },
            { parent: this },
        );
        this.container = args.engine.container(
            `${name}-container`,
            {
                name: this.containerName,
                network: args.network,
                ports: [
                    { hostIp: "0.0.0.0", hostPort: args.publicPort, containerPort: PROXY_LISTEN_PORT },
                    { hostIp: "0.0.0.0", hostPort: args.httpsPort, containerPort: TLS_LISTEN_PORT },
                ],
                labels: { [MANAGED_LABEL]: args.name, "io.bluegreen.role": "proxy" },
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
