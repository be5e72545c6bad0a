// Several apps on one nginx. Each app's switch records what it serves in the config itself (one
// comment line per app) and the whole config is rendered from those records: a switch of one app
// renders the others exactly as they were, and restoring the previous file puts every app back at
// once. An app alone on its proxy that claims every request keeps the config it always had.
import { assertSafe, liveUpstream, type ProxyTarget, type SwarmRouting } from "./upstreams";
import { appCanary, appCanaryNames, canaryCookie, clientMaps } from "./canary";
import { maintenanceAnswer } from "./maintenance";
import { answersFiles, answersFormat, appAnswersLog } from "./verify";
import { proxyPass } from "./proxyPass";
import { notFoundLocation, prefixMatches, routeServers, routingHttpSettings, type ServerShape } from "./routes";
import { acmeChallengeLocation, redirectLocation, type Tls, type TlsFiles, tlsListener } from "./tls";
import { versionLocation, versionOf, VERSION_PATH } from "./version";
import { base } from "./base";
import { type EdgeOptions, PROXY_LISTEN_PORT, renderProxyConfig } from "./index";
import { prefixCovers, type RouteClaim } from "../routing";
import type { Color } from "../color";

/** Where an app takes requests on a proxy it shares. */
export interface AppRoute {
    readonly hosts: string[];
    readonly pathPrefix: string;
    readonly stripPathPrefix: boolean;
}

/** What one app serves, as its switch recorded it. */
export interface AppRecord {
    /** The App's name. */
    readonly app: string;
    readonly target: ProxyTarget;
    /** What the app's public answers do (on a shared proxy: HTTPS and maintenance). */
    readonly edge: EdgeOptions;
    readonly swarm?: SwarmRouting;
    /** On a shared proxy, the requests it takes; absent: every request, the app alone on its proxy. */
    readonly route?: AppRoute;
    /** The app's own certificate and key files (named by their fingerprint), served for its hosts by SNI; absent: the proxy's. */
    readonly hostTls?: TlsFiles;
}

const RECORD_LINE = /^# bluegreen-app ([A-Za-z0-9+/=]+)$/gm;
const APP_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
/** A stand-in version: an app's part of the config is hashed with it to make the app's own version. */
const NO_VERSION = "000000000000";

/** The record lines at the end of a config. */
function recordLines(records: readonly AppRecord[]): string {
    return records.map((r) => `# bluegreen-app ${Buffer.from(JSON.stringify(r)).toString("base64")}\n`).join("");
}

/** The records a config holds (none in a config rendered before several apps). */
export function readRecords(text: string): AppRecord[] {
    return [...text.matchAll(RECORD_LINE)].map((match) => {
        let record: AppRecord | undefined;
        try {
            record = JSON.parse(Buffer.from(match[1], "base64").toString("utf8")) as AppRecord;
        } catch {
            record = undefined;
        }
        if (typeof record?.app !== "string" || !APP_NAME.test(record.app) || typeof record.target !== "object") {
            throw new Error(`the proxy's config holds a malformed app record: ${match[1].slice(0, 40)}`);
        }
        return record;
    });
}

/** An app's key on a shared proxy: a hash of its name, for nginx names and files (names may hold dots). */
export function appKey(app: string): string {
    return versionOf(app);
}

/** The upstream of an app's live colour. */
function upstreamOf(app: string): string {
    return `bluegreen_app_${appKey(app)}`;
}

const DEFAULT_ROUTE: AppRoute = { hosts: [], pathPrefix: "/", stripPathPrefix: true };

interface Claim extends RouteClaim {
    readonly record: AppRecord;
    readonly route: AppRoute;
    readonly version: string;
}

/** A regular expression matching `prefix` literally (a validated prefix: only `.` is special). */
function literal(prefix: string): string {
    return prefix.replace(/\./g, "\\.");
}

/** The locations that serve one app: its version endpoint under its prefix, then its prefix. */
function appLocations(claim: Claim, version: string): string {
    const { record, route } = claim;
    const { color } = record.target;
    const key = appKey(record.app);
    const prefix = route.pathPrefix;
    const under = prefix === "/" ? "" : prefix;
    const strip = route.stripPathPrefix && prefix !== "/";
    const canary = record.edge.canary;
    const names = canary ? appCanaryNames(key, upstreamOf(record.app)) : undefined;
    const log = record.edge.verify ? appAnswersLog(key) : undefined;
    // The prefix comes off by a rewrite, not a URI in proxy_pass: with a canary the upstream is a
    // variable, and nginx then passes a proxy_pass URI as the whole path.
    const extra =
        (strip
            ? `            rewrite ^${literal(prefix)}/?(.*)$ /$1 break;
            proxy_set_header X-Forwarded-Prefix ${prefix};
`
            : "") +
        (canary ? canaryCookie() : "") +
        (log?.location ?? "");
    const pass = (match: string) =>
        proxyPass(match, names?.pickedUpstream ?? upstreamOf(record.app), names?.pickedColor ?? color, "5s", extra);
    const served = canary ? { percent: canary.percent, color: canary.color } : undefined;
    let text = (log?.server ?? "") + versionLocation(color, served, `${under}${VERSION_PATH}`, version);
    const maintenance = record.edge.maintenance;
    if (maintenance === undefined) {
        return text + prefixMatches(prefix).map(pass).join("");
    }
    // Monitors and the release guard still reach the app's health path through the proxy (with
    // the prefix kept, only a health path under it is the app's to answer).
    const health = `${strip ? under : ""}${maintenance.healthPath}`;
    text += prefixCovers(prefix, health) ? pass(`= ${health}`) : "";
    return (
        text +
        prefixMatches(prefix)
            .map((match) => maintenanceAnswer(maintenance, match))
            .join("")
    );
}

/** What one app adds at http level: its upstream, its canary's, its answers' log format. */
function appHttp(record: AppRecord): string {
    const key = appKey(record.app);
    const live = upstreamOf(record.app);
    const canary = record.edge.canary;
    const names = canary ? appCanaryNames(key, live) : undefined;
    return (
        liveUpstream(record.target, undefined, live) +
        (canary ? appCanary(canary, record.target.color, record.target.port, names!) : "") +
        (record.edge.verify ? answersFormat(names?.pickedColor ?? record.target.color, answersFiles(key)) : "")
    );
}

/** Every server of the listeners, given HTTPS (the switching app's: the proxy's settings). */
function servers(claims: readonly Claim[], tls: Tls | undefined): string {
    const http = (defaultServer: boolean) =>
        `        listen ${PROXY_LISTEN_PORT}${defaultServer ? " default_server" : ""};\n`;
    const full = (c: Claim) => appLocations(c, c.version);
    const challenge = tls?.acmeChallenge ? acmeChallengeLocation(tls, () => "") : "";
    if (tls === undefined) {
        return routeServers(claims, { head: http, claimLocations: full });
    }
    // Each app redirects plain HTTP as it recorded (its own setting, else the proxy's).
    const redirects = (c: Claim) => c.record.edge.tls?.redirect ?? tls.redirect;
    const mixed = claims.some((c) => redirects(c) !== tls.redirect);
    const together = !tls.redirect && !mixed;
    const https: ServerShape<Claim> = {
        head: (d, claimsOfServer) => (together ? http(d) : "") + tlsListener(serverTls(tls, claimsOfServer), d),
        claimLocations: full,
        common: together ? challenge : "",
    };
    if (together) {
        return routeServers(claims, https);
    }
    // Plain HTTP: a redirecting app keeps only its version endpoint (the switch confirms through
    // it), the others are served; what no app claims redirects with the proxy, else gets the 404.
    const plain: ServerShape<Claim> = {
        head: http,
        claimLocations: (c) =>
            redirects(c)
                ? versionLocation(
                      c.record.target.color,
                      undefined,
                      `${c.route.pathPrefix === "/" ? "" : c.route.pathPrefix}${VERSION_PATH}`,
                      c.version,
                  ) +
                  (mixed
                      ? prefixMatches(c.route.pathPrefix)
                            .map((m) => redirectLocation(tls, m))
                            .join("")
                      : "")
                : full(c),
        common: challenge,
        fallback: (rootClaimed) =>
            mixed
                ? rootClaimed
                    ? ""
                    : tls.redirect
                      ? redirectLocation(tls)
                      : notFoundLocation()
                : redirectLocation(tls),
    };
    return routeServers(claims, plain) + routeServers(claims, https);
}

/** The TLS of one host's server: the certificate of the app claiming it that brings one, else the proxy's. */
function serverTls(tls: Tls, claims: readonly Claim[]): Tls {
    const own = claims.filter((c) => c.record.hostTls !== undefined);
    if (own.length === 0) {
        return tls;
    }
    const [first] = own;
    const other = own.find((c) => c.record.hostTls!.certificate !== first.record.hostTls!.certificate);
    if (other !== undefined) {
        throw new Error(
            `${first.app} and ${other.app} claim the same host with different certificates: a host has one certificate`,
        );
    }
    return { ...tls, certificate: first.record.hostTls!.certificate, key: first.record.hostTls!.key };
}

/** JSON with keys in a fixed order and undefined members left out: the same record, the same text. */
function canonical(value: unknown): string {
    if (Array.isArray(value)) {
        return `[${value.map(canonical).join(",")}]`;
    }
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : 1));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

/** An app's version: what its version endpoint answers, what its switch confirms. */
export function recordVersion(record: AppRecord): string {
    if (record.route === undefined) {
        return renderProxyConfig(record.target, record.swarm, record.edge).version;
    }
    const claim = claimOf(record, NO_VERSION);
    return versionOf(canonical(record) + appLocations(claim, NO_VERSION));
}

/** An app alone on its proxy is named by its colours' host names: `web-blue` and `tasks.web-green` are `web`'s. */
export function appOfColourHost(host: string): string {
    return host.replace(/^tasks\./, "").replace(/-(?:blue|green)$/, "");
}

/**
 * The app a config rendered before apps could share a proxy serves (it holds no records): read
 * back from its upstream and version endpoint, without its maintenance, canary or verification
 * (that app's own switch, which follows in the same update, records them).
 */
export function unrecordedApp(text: string): AppRecord | undefined {
    const server = /upstream bluegreen_live \{[^}]*?server ([a-zA-Z0-9][a-zA-Z0-9_.-]*):([0-9]{1,5})[ ;]/.exec(text);
    const color = /return 200 "[0-9a-f]{12} (blue|green)/.exec(text)?.[1];
    if (server === null || color === undefined || text.includes("# bluegreen-app ")) {
        return undefined;
    }
    const host = server[1];
    const app = appOfColourHost(host);
    return { app, target: { color: color as Color, host, port: Number(server[2]) }, edge: {} };
}

function claimOf(record: AppRecord, version: string): Claim {
    const route = record.route ?? DEFAULT_ROUTE;
    return {
        app: `App ${JSON.stringify(record.app)}`,
        hosts: route.hosts,
        pathPrefix: route.pathPrefix,
        record,
        route,
        version,
    };
}

/**
 * The whole config for the apps' records: one app claiming every request gets its config of
 * before (renderProxyConfig), several get routed by host and path (HTTPS per `tls`). Throws when
 * two apps claim the same requests, naming both.
 */
export function renderApps(records: readonly AppRecord[], tls: Tls | undefined): { text: string } {
    const sorted = [...records].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
    if (sorted.length === 1 && sorted[0].route === undefined) {
        const [only] = sorted;
        return { text: renderProxyConfig(only.target, only.swarm, only.edge).text + recordLines(sorted) };
    }
    const swarm = sorted.find((r) => r.swarm !== undefined);
    if (swarm !== undefined) {
        throw new Error(
            `App ${JSON.stringify(swarm.app)} runs on a swarm: apps sharing a swarm's proxy are not supported yet`,
        );
    }
    const claims = sorted.map((r) => claimOf(r, recordVersion(r)));
    for (const claim of claims) {
        assertSafe(claim.record.target);
    }
    const clients = sorted.some((r) => r.edge.canary) ? `${clientMaps()}\n` : "";
    const http = sorted.map(appHttp).join("");
    return {
        text: `${base()}${routingHttpSettings()}${clients}${http}${servers(claims, tls)}}\n${recordLines(sorted)}`,
    };
}
