// Which app a request goes to when several share one proxy: the rules nginx's server and location
// selection follows, as plain functions (kamal-proxy's order). The host picks the app group: an
// exact name first, then the longest matching `*.` wildcard, then the app that claims no host; in
// that group the longest path prefix that matches whole path segments wins. No fall-through: a
// host that matched but no prefix matched gets the proxy's 404, never another app's page.
import { ConfigError } from "./configError";
import { fail, isHostname } from "./validate";

/** Where one app takes requests. */
export interface RouteClaim {
    /** The app as messages name it, e.g. `App "api"`. */
    readonly app: string;
    /** Exact names and `*.` wildcards, validated; empty: the default app. */
    readonly hosts: readonly string[];
    /** A validated path prefix; `/` takes every path. */
    readonly pathPrefix: string;
}

/** The most names one app may claim (each becomes a `server_name` entry and a certificate SAN). */
export const MAX_HOSTS = 100;

/** An app's `hosts`: lower-case DNS names or `*.` wildcards, no repeats. */
export function validateHosts(name: string, hosts: readonly string[]): string[] {
    if (hosts.length > MAX_HOSTS) {
        fail(name, `at most ${MAX_HOSTS} host names`, `${hosts.length} names`);
    }
    for (const host of hosts) {
        if (!isHostname(host)) {
            fail(name, "lower-case DNS names, each exact (app.example.com) or a wildcard (*.example.com)", host);
        }
    }
    if (new Set(hosts).size !== hosts.length) {
        fail(name, "a list without repeated names", hosts.join(","));
    }
    return [...hosts];
}

const PREFIX_PATTERN = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/;
const MAX_PREFIX_LENGTH = 256;

/** An app's `pathPrefix`: `/` or whole segments like `/api/v1` (no trailing `/`, no `.` or `..`). */
export function validatePathPrefix(name: string, value: string): string {
    const dotSegment = value.split("/").some((segment) => segment === "." || segment === "..");
    if (value !== "/" && (value.length > MAX_PREFIX_LENGTH || !PREFIX_PATTERN.test(value) || dotSegment)) {
        fail(
            name,
            `/ or a path like /api/v1: segments of letters, digits and . _ ~ -, no trailing / (at most ${MAX_PREFIX_LENGTH} characters)`,
            value,
        );
    }
    return value;
}

/** What one host key means in messages: the default app claims no host. */
function hostLabel(host: string): string {
    return host === "" ? "no host" : host;
}

/** The first conflict among the claims, as one line naming both apps; undefined when none. */
export function routeConflict(claims: readonly RouteClaim[]): string | undefined {
    const defaults = claims.filter((c) => c.hosts.length === 0);
    if (defaults.length > 1) {
        return (
            `${defaults[0].app} and ${defaults[1].app} both claim no host: at most one app may be the ` +
            `default (give the others hosts)`
        );
    }
    const owner = new Map<string, string>();
    for (const claim of claims) {
        for (const host of claim.hosts.length === 0 ? [""] : claim.hosts) {
            const key = `${host} ${claim.pathPrefix}`;
            const other = owner.get(key);
            if (other !== undefined && other !== claim.app) {
                return (
                    `${other} and ${claim.app} both claim ${hostLabel(host)} with path prefix ` +
                    `${claim.pathPrefix}: one app per host and prefix`
                );
            }
            owner.set(key, claim.app);
        }
    }
    return undefined;
}

/** Throws the first conflict as a ConfigError (see routeConflict). */
export function assertNoRouteConflict(claims: readonly RouteClaim[]): void {
    const conflict = routeConflict(claims);
    if (conflict !== undefined) throw new ConfigError(conflict);
}

/** Whether `prefix` covers `path` in whole segments: /api covers /api and /api/x, not /apix. */
export function prefixCovers(prefix: string, path: string): boolean {
    if (prefix === "/") return true;
    return path === prefix || path.startsWith(`${prefix}/`);
}

/** The claims of the group a request's host selects: exact, longest wildcard, then the default. */
function groupFor(claims: readonly RouteClaim[], host: string): RouteClaim[] {
    const exact = claims.filter((c) => c.hosts.includes(host));
    if (exact.length > 0) return exact;
    for (let dot = host.indexOf("."); dot >= 0; dot = host.indexOf(".", dot + 1)) {
        const wildcard = `*${host.slice(dot)}`;
        const matching = claims.filter((c) => c.hosts.includes(wildcard));
        if (matching.length > 0) return matching;
    }
    return claims.filter((c) => c.hosts.length === 0);
}

/**
 * The app a request goes to, from its Host header (any case, with or without a port) and path;
 * undefined: the proxy answers 404.
 */
export function routeFor(claims: readonly RouteClaim[], hostHeader: string, path: string): string | undefined {
    const host = hostHeader.toLowerCase().replace(/:[0-9]*$/, "");
    const candidates = groupFor(claims, host)
        .filter((c) => prefixCovers(c.pathPrefix, path))
        .sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
    return candidates[0]?.app;
}

/** A Host header that reaches an app's routes: its first name (a wildcard's with a label of ours). */
export function probeHost(hosts: readonly string[]): string | undefined {
    const first = hosts[0];
    return first?.startsWith("*.") ? `bluegreen-probe${first.slice(1)}` : first;
}

/** The path an app's URL ends in: its prefix, or nothing for `/`. */
export function prefixPath(prefix: string): string {
    return prefix === "/" ? "" : prefix;
}
