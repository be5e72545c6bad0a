// Renders the proxy's whole nginx.conf from small pieces, one concept a file: base settings,
// upstreams, proxying, the version endpoint, TLS and its redirect, maintenance, a canary share,
// the answers log verification reads. Pure: the same inputs give the same text and version.
// Inputs are validated by config.ts; the pieces re-check whatever they splice into the text.
import { Color } from "../color";
import { base } from "./base";
import { Canary, CANARY_TARGET, canaryCookie, canaryRouting } from "./canary";
import { maintenanceLocations, type Maintenance } from "./maintenance";
import { proxyPass } from "./proxyPass";
import { acmeChallengeLocation, redirectLocation, type Tls, tlsListener } from "./tls";
import {
    assertSafe,
    LIVE_UPSTREAM,
    liveUpstream,
    previewServers,
    type ProxyTarget,
    type SwarmRouting,
    swarmResolver,
} from "./upstreams";
import { stamp, versionLocation } from "./version";
import { answersFormat, answersLog } from "./verify";

export { parseVersionBody, VERSION_PATH } from "./version";
export { PREVIEW_LISTEN_PORTS } from "./upstreams";
export type { ProxyTarget, SwarmRouting } from "./upstreams";
export { fingerprintFiles, TLS_LISTEN_PORT } from "./tls";
export type { Tls } from "./tls";
export { RETRY_AFTER_SECONDS } from "./maintenance";
export { CLIENT_COOKIE } from "./canary";
export type { Canary } from "./canary";
export type { Maintenance } from "./maintenance";
export { MAKE_VERIFY_DIR, START_ANSWERS, STOP_ANSWERS, VERIFY_DIR, VERIFY_LOG, VERIFY_MARKER } from "./verify";

/** Where the rendered config lives inside the proxy container (the image's default path). */
export const NGINX_CONF_PATH = "/etc/nginx/nginx.conf";
/** Where the proxy's config lives on a swarm: a volume on the manager, so a restarted task keeps it. */
export const SWARM_CONF_DIR = "/etc/nginx/bluegreen";
export const SWARM_CONF_PATH = `${SWARM_CONF_DIR}/nginx.conf`;
/** nginx listens here inside the proxy container; the public port is published onto it. */
export const PROXY_LISTEN_PORT = 80;

/** What the public servers do besides proxying: HTTPS, maintenance, a canary share, verification. */
export interface EdgeOptions {
    readonly tls?: Tls;
    readonly maintenance?: Maintenance;
    readonly canary?: Canary;
    /** Log answers per colour while a switch verifies them (see verify.ts). */
    readonly verify?: boolean;
}

/** The directory beside a config that holds the files it reads (certificates). */
export function filesDirOf(confPath: string): string {
    return `${confPath.slice(0, confPath.lastIndexOf("/"))}/bluegreen-files`;
}

/**
 * What a public server answers: the maintenance page, or the app through the live upstream (with a
 * canary, through the upstream the client's share picks).
 */
function appLocations(color: Color, connectTimeout: string, edge: EdgeOptions): string {
    if (edge.maintenance) {
        return maintenanceLocations(edge.maintenance, LIVE_UPSTREAM, color, connectTimeout);
    }
    return edge.canary
        ? proxyPass("/", CANARY_TARGET.upstream, CANARY_TARGET.color, connectTimeout, canaryCookie())
        : proxyPass("/", LIVE_UPSTREAM, color, connectTimeout);
}

function publicServers(color: Color, connectTimeout: string, edge: EdgeOptions): string {
    const app = appLocations(color, connectTimeout, edge);
    const tls = edge.tls;
    // Plain HTTP keeps the version endpoint (the switch confirms through it) and, when it
    // redirects, the ACME challenge path, which certificate authorities fetch over HTTP.
    const challenge = (t: Tls) =>
        acmeChallengeLocation(t, (match) => proxyPass(match, LIVE_UPSTREAM, color, connectTimeout));
    const http = tls?.redirect
        ? `${challenge(tls)}${redirectLocation(tls)}`
        : tls?.acmeChallenge
          ? `${challenge(tls)}${app}`
          : app;
    const log = edge.verify ? answersLog() : "";
    const https = tls
        ? `
    server {
${tlsListener(tls)}${log}${versionLocation(color, edge.canary)}
${app}    }
`
        : "";
    return `
    server {
        # No 'reuseport': its per-worker queues drop pending connections when an old worker exits.
        listen ${PROXY_LISTEN_PORT};
${log}${versionLocation(color, edge.canary)}
${http}    }
${https}`;
}

/** The config that sends all traffic to one colour (on a swarm, to all its replicas). */
export function renderProxyConfig(
    target: ProxyTarget,
    swarm?: SwarmRouting,
    edge: EdgeOptions = {},
): { text: string; version: string } {
    assertSafe(target);
    const connectTimeout = swarm ? "1s" : "5s";
    const canary = edge.canary ? canaryRouting(edge.canary, target.color, target.port, swarm !== undefined) : "";
    const answers = edge.verify ? answersFormat(edge.canary ? CANARY_TARGET.color : target.color) : "";
    const body = `${base()}${liveUpstream(target, swarm)}${canary}${answers}${swarm ? previewServers(swarm, target.port) : ""}${publicServers(target.color, connectTimeout, edge)}}
`;
    return stamp(body);
}

/** The config a new proxy starts with, before any colour has been proven healthy. */
export function renderPlaceholderConfig(swarm?: SwarmRouting, appPort = 8080): { text: string; version: string } {
    const body = `${base()}${swarm ? swarmResolver() + previewServers(swarm, appPort) : ""}
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
