// Renders the proxy's whole nginx.conf. Pure: the same inputs give the same text and version.
// Inputs are validated by config.ts; this module re-checks the few that are spliced into the text.
import { createHash } from "crypto";
import { Color } from "./config";

/** Where the version endpoint answers; the proxy switch confirms a reload through it. */
export const VERSION_PATH = "/__bluegreen/version";
/** Where the rendered config lives inside the proxy container (the image's default path). */
export const NGINX_CONF_PATH = "/etc/nginx/nginx.conf";
/** nginx listens here inside the proxy container; the public port is published onto it. */
export const PROXY_LISTEN_PORT = 80;

export interface ProxyTarget {
    /** The colour that serves public traffic. */
    readonly color: Color;
    /** Host name of the colour's container on the stack's Docker network. */
    readonly host: string;
    /** Port the app listens on inside its container. */
    readonly port: number;
}

const VERSION_PLACEHOLDER = "@@BLUEGREEN_CONFIG_VERSION@@";

function assertSafe(target: ProxyTarget): void {
    if (target.color !== "blue" && target.color !== "green") {
        throw new Error(`proxy target colour must be blue or green (got ${JSON.stringify(target.color)})`);
    }
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(target.host)) {
        throw new Error(`proxy target host must be a container name (got ${JSON.stringify(target.host)})`);
    }
    assertPort(target.port);
}

function assertPort(port: number): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`proxy target port must be an integer from 1 to 65535 (got ${port})`);
    }
}

function common(): string {
    return `# Rendered by bluegreen. Do not edit: the next switch overwrites it.
# Two workers are plenty for a proxy; 'auto' would follow the host's cores.
worker_processes 2;
pid /run/nginx.pid;
error_log stderr warn;

# Old workers finish in-flight requests on reload, but long-lived connections (WebSockets,
# slow downloads) would keep them alive forever; 30 s matches kamal-proxy's drain.
worker_shutdown_timeout 30s;

events {
    worker_connections 4096;
}

http {
    access_log off;
    server_tokens off;

    # Clients may keep connections open between requests.
    keepalive_timeout 65s;
    # The lossless reload: an old worker answers a request that arrives on an idle keep-alive
    # connection while it shuts down instead of closing it under the client (nginx >= 1.27.4).
    keepalive_min_timeout 1s;
`;
}

function versionLocation(color: Color | "none"): string {
    return `
        # Confirms a reload exactly: a fresh connection sees the new version or the reload failed.
        location = ${VERSION_PATH} {
            default_type text/plain;
            add_header Cache-Control "no-store" always;
            return 200 "${VERSION_PLACEHOLDER} ${color}\\n";
        }
`;
}

function stamp(body: string): { text: string; version: string } {
    const version = createHash("sha256").update(body).digest("hex").slice(0, 12);
    return { text: body.split(VERSION_PLACEHOLDER).join(version), version };
}

function proxyLocation(upstream: string, color: Color, connectTimeout: string): string {
    return `        location / {
            proxy_pass http://${upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Retry another attempt only for errors before a response started, and never for
            # POST and other non-idempotent methods (no 'non_idempotent'): a replay could run twice.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout ${connectTimeout};
            proxy_read_timeout 300s;
            client_max_body_size 64m;
            add_header X-Color ${color} always;
        }
`;
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

function swarmResolver(): string {
    return `
    # Docker's embedded DNS answers with a TTL of 600 s: ask again every second, so replicas that
    # come and go are followed without a reload.
    resolver 127.0.0.11 valid=1s ipv6=off;
    resolver_timeout 2s;
`;
}

function previewServers(swarm: SwarmRouting, port: number): string {
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
${proxyLocation(upstream, p.color, "1s")}    }
`;
        })
        .join("");
}

function liveUpstream(target: ProxyTarget, swarm: SwarmRouting | undefined): string {
    const pool = `        # Reuse upstream connections; a pool smaller than client concurrency exhausts the
        # proxy's ephemeral ports under load (measured: 16 failed, 128 clean).
        keepalive 128;
        keepalive_timeout 60s;`;
    if (swarm === undefined) {
        return `
    upstream bluegreen_live {
        # Resolved on each reload through Docker's DNS on the stack's network.
        server ${target.host}:${target.port} max_fails=0;
${pool}
    }
`;
    }
    return `${swarmResolver()}
    upstream bluegreen_live {
        zone bluegreen_live 64k;
        # Every replica of the live colour; one that refuses or times out is left out for 2 s
        # (an idempotent request that met it is retried on another).
        server ${target.host}:${target.port} resolve max_fails=1 fail_timeout=2s;
${pool}
    }
`;
}

/** The config that sends all traffic to one colour (on a swarm, to all its replicas). */
export function renderProxyConfig(target: ProxyTarget, swarm?: SwarmRouting): { text: string; version: string } {
    assertSafe(target);
    const body = `${common()}${liveUpstream(target, swarm)}${swarm ? previewServers(swarm, target.port) : ""}
    server {
        # No 'reuseport': its per-worker queues drop pending connections when an old worker exits.
        listen ${PROXY_LISTEN_PORT};
${versionLocation(target.color)}
${proxyLocation("bluegreen_live", target.color, swarm ? "1s" : "5s")}    }
}
`;
    return stamp(body);
}

/** The config a new proxy starts with, before any colour has been proven healthy. */
export function renderPlaceholderConfig(swarm?: SwarmRouting, appPort = 8080): { text: string; version: string } {
    const body = `${common()}${swarm ? swarmResolver() + previewServers(swarm, appPort) : ""}
    server {
        listen ${PROXY_LISTEN_PORT};
${versionLocation("none")}
        location / {
            default_type text/plain;
            return 503 "bluegreen: no colour is live yet\\n";
        }
    }
}
`;
    return stamp(body);
}

/** Reads the version and colour back from a version-endpoint body ("<version> <colour>"). */
export function parseVersionBody(body: string): { version: string; color: string } | undefined {
    const match = /^([0-9a-f]{12}) (blue|green|none)\s*$/.exec(body);
    return match ? { version: match[1], color: match[2] } : undefined;
}
