// Where an App's colours live behind its Proxy, and how its switch finds nginx: containers beside
// nginx's container on one Docker engine (here or over SSH), or services beside nginx's service on
// a swarm. The Proxy decides (components/proxy.ts, attach); the App asks and never branches on it.
import * as pulumi from "./sdk";
import type { Color } from "./core/color";
import { containerName, tasksHost } from "./core/names";
import { NGINX_CONF_PATH, SWARM_CONF_PATH, SwarmRouting } from "./core/nginx";
import { Endpoint, proxyEndpoint, Site } from "./core/site";
import type { VolumeMountSetting } from "./core/validate";
import type { ImageHandle } from "./engines/engine";
import { ColorSlot, SlotArgs } from "./colorSlot";
import type { HealthCheck } from "./providers/healthCheck";
import { SwarmColorSlot } from "./swarmColorSlot";
import { SwarmProxy, swarmRouting } from "./swarmProxy";

/** A colour as the App uses it, whichever kind of slot runs it. */
export interface Slot {
    readonly image: ImageHandle;
    /** Changes whenever what runs the colour does: its gates run again. */
    readonly revision: pulumi.Output<string>;
    readonly healthCheck: HealthCheck;
    /** The colour's preview URL, bypassing the switch. */
    readonly url: pulumi.Output<string>;
}

/** What a slot takes wherever it runs. */
export interface SlotRequest extends SlotArgs {
    /** The colour's preview port on 127.0.0.1. */
    readonly previewPort: pulumi.Input<number>;
    /** Tasks of the colour (on a swarm; 1 elsewhere). */
    readonly replicas: pulumi.Input<number>;
    /** Named volumes the colour mounts (one engine only). */
    readonly volumes?: pulumi.Input<VolumeMountSetting[]>;
}

/** How the proxy switch finds nginx and its config. */
export interface SwitchTarget {
    /** nginx's container, or on a swarm its service. */
    readonly proxyContainer: string;
    /** Changes whenever nginx's container (or service) does: the switch then applies its config again. */
    readonly proxyContainerId: pulumi.Output<string>;
    readonly proxyIsService?: boolean;
    readonly confPath?: string;
    /** On a swarm: the routes to every colour's replicas. */
    readonly swarm?: SwarmRouting;
}

export interface Placement {
    slot(name: string, request: SlotRequest, opts: pulumi.ComponentResourceOptions): Slot;
    /** How the guard, the switch's confirmation and the helpers reach nginx's public listener. */
    nginx(publicPort: number): Endpoint;
    /** The host nginx reaches a colour at on the proxy's network (on a swarm, all its tasks). */
    host(color: Color): string;
    /** Where nginx reads its config. */
    readonly confPath: string;
    readonly switchTarget: SwitchTarget;
}

/** Colours as containers on nginx's engine; on a remote one their gates probe from inside nginx. */
export function containerPlacement(
    proxy: {
        readonly name: string;
        readonly site: Site;
        readonly containerId: pulumi.Output<string>;
        readonly container: pulumi.Resource;
    },
    app: string,
): Placement {
    return {
        slot: (name, { previewPort, replicas, volumes, ...request }, opts) =>
            new ColorSlot(
                name,
                {
                    ...request,
                    site: proxy.site,
                    proxyName: proxy.name,
                    hostPort: previewPort,
                    ...(volumes !== undefined ? { volumes } : {}),
                    probeAfter: proxy.site.kind === "remote" ? proxy.container : undefined,
                },
                opts,
            ),
        nginx: (publicPort) => proxyEndpoint(proxy.site, proxy.name, publicPort, false),
        host: (color) => containerName(app, color),
        confPath: NGINX_CONF_PATH,
        switchTarget: { proxyContainer: containerName(proxy.name, "proxy"), proxyContainerId: proxy.containerId },
    };
}

/** Colours as services of replicas on the swarm; their gates probe each replica from nginx's task. */
export function servicePlacement(proxy: SwarmProxy, site: Site, proxyName: string, app: string): Placement {
    const routing = swarmRouting(app);
    return {
        slot: (name, { previewPort, volumes, ...request }, opts) =>
            new SwarmColorSlot(name, { ...request, previewPort, proxy }, opts),
        nginx: (publicPort) => proxyEndpoint(site, proxyName, publicPort, true),
        host: (color) => tasksHost(app, color),
        confPath: SWARM_CONF_PATH,
        switchTarget: {
            proxyContainer: proxy.serviceName,
            proxyContainerId: proxy.revision,
            proxyIsService: true,
            confPath: SWARM_CONF_PATH,
            swarm: routing,
        },
    };
}
