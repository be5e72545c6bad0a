// Where traffic goes: the live colour's upstream, and on a swarm the resolver and preview servers.
import { Color } from "../color";
import { proxyPass } from "./proxyPass";

export interface ProxyTarget {
    /** The colour that serves public traffic. */
    readonly color: Color;
    /** Host name of the colour's container on the stack's Docker network. */
    readonly host: string;
    /** Port the app listens on inside its container. */
    readonly port: number;
}

/**
 * On a swarm, colours are services with replicas on several nodes: nginx follows each colour's
 * tasks through Docker's DNS (`tasks.<service>`), and serves preview ports for both colours.
 */
export interface SwarmRouting {
    readonly previews: readonly { readonly color: Color; readonly host: string; readonly listen: number }[];
}

/** Where the preview servers listen inside the proxy's container on a swarm. */
export const PREVIEW_LISTEN_PORTS: Record<Color, number> = { blue: 81, green: 82 };

export function assertSafe(target: ProxyTarget): void {
    if (target.color !== "blue" && target.color !== "green") {
        throw new Error(`proxy target colour must be blue or green (got ${JSON.stringify(target.color)})`);
    }
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(target.host)) {
        throw new Error(`proxy target host must be a container name (got ${JSON.stringify(target.host)})`);
    }
    assertPort(target.port);
}

export function assertPort(port: number): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`proxy target port must be an integer from 1 to 65535 (got ${port})`);
    }
}

export function swarmResolver(): string {
    return `
    # Docker's embedded DNS answers with a TTL of 600 s: ask again every second, so replicas that
    # come and go are followed without a reload.
    resolver 127.0.0.11 valid=1s ipv6=off;
    resolver_timeout 2s;
`;
}

export function previewServers(swarm: SwarmRouting, port: number): string {
    return swarm.previews
        .map((p) => {
            assertSafe({ color: p.color, host: p.host, port });
            assertPort(p.listen);
            const upstream = `bluegreen_preview_${p.color}`;
            return `
    # Preview of ${p.color}: reaches its replicas without moving public traffic.
    upstream ${upstream} {
        zone ${upstream} 64k;
        server ${p.host}:${port} resolve;
        keepalive 16;
    }

    server {
        listen ${p.listen};
${proxyPass("/", upstream, p.color, "1s")}    }
`;
        })
        .join("");
}

export const LIVE_UPSTREAM = "bluegreen_live";

export function liveUpstream(target: ProxyTarget, swarm: SwarmRouting | undefined, name = LIVE_UPSTREAM): string {
    const pool = `        # Reuse upstream connections; a pool smaller than client concurrency exhausts the
        # proxy's ephemeral ports under load (measured: 16 failed, 128 clean).
        keepalive 128;
        keepalive_timeout 60s;`;
    if (swarm === undefined) {
        return `
    upstream ${name} {
        # Resolved on each reload through Docker's DNS on the stack's network.
        server ${target.host}:${target.port} max_fails=0;
${pool}
    }
`;
    }
    return `${swarmResolver()}
    upstream ${LIVE_UPSTREAM} {
        zone ${LIVE_UPSTREAM} 64k;
        # Every replica of the live colour; one that refuses or times out is left out for 2 s
        # (an idempotent request that met it is retried on another).
        server ${target.host}:${target.port} resolve max_fails=1 fail_timeout=2s;
${pool}
    }
`;
}
