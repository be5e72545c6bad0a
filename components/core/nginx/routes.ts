// The routing of several apps on one listener as nginx server and location blocks, so that nginx
// picks the app core/routing.ts's routeFor picks: one server per claimed host (exact names and
// wildcards; nginx tries exact, then the longest wildcard), the default app's claims in the
// default server, whole-segment prefixes as `location = /p` plus `location /p/`, and the proxy's
// own 404 wherever no claim covers `/`. Not wired into the proxy yet (several apps, issue 27).
import { assertNoRouteConflict, type RouteClaim, validateHosts, validatePathPrefix } from "../routing";

/** What the proxy answers for a request no app claims. */
export const NO_APP_BODY = "bluegreen: no app for this host and path\n";

/** http-level settings routing needs: room for long and many server names. */
export function routingHttpSettings(): string {
    return `    server_names_hash_bucket_size 256;
    server_names_hash_max_size 8192;
`;
}

function notFoundLocation(): string {
    return `        location / {
            default_type text/plain;
            return 404 ${JSON.stringify(NO_APP_BODY)};
        }
`;
}

/** The locations of one server: each claim's prefix, longest handled by nginx's own selection. */
function locations(claims: readonly RouteClaim[], appLocation: (claim: RouteClaim, match: string) => string): string {
    let text = "";
    for (const claim of claims) {
        const prefix = validatePathPrefix(`${claim.app}: pathPrefix`, claim.pathPrefix);
        text +=
            prefix === "/"
                ? appLocation(claim, "/")
                : appLocation(claim, `= ${prefix}`) + appLocation(claim, `${prefix}/`);
    }
    return claims.some((c) => c.pathPrefix === "/") ? text : text + notFoundLocation();
}

/**
 * Server blocks listening on `listen` for every claim; `appLocation(claim, match)` renders the
 * `location <match> { ... }` that serves one app (e.g. proxying to its live colour).
 */
export function routeServers(
    claims: readonly RouteClaim[],
    listen: string,
    appLocation: (claim: RouteClaim, match: string) => string,
): string {
    assertNoRouteConflict(claims);
    const byHost = new Map<string, RouteClaim[]>();
    for (const claim of claims) {
        for (const host of validateHosts(`${claim.app}: hosts`, claim.hosts)) {
            byHost.set(host, [...(byHost.get(host) ?? []), claim]);
        }
    }
    const server = (names: string, claimsOfServer: readonly RouteClaim[]) => `
    server {
        listen ${listen}${names === "_" ? " default_server" : ""};
        server_name ${names};
${locations(claimsOfServer, appLocation)}    }
`;
    const defaults = claims.filter((c) => c.hosts.length === 0);
    // The default server takes every host no server names; without a default app it is all 404.
    let text = server("_", defaults);
    for (const [host, claimsOfHost] of byHost) {
        text += server(host, claimsOfHost);
    }
    return text;
}
