// The routing of several apps on one listener as nginx server and location blocks, so that nginx
// picks the app core/routing.ts's routeFor picks: one server per claimed host (exact names and
// wildcards; nginx tries exact, then the longest wildcard), the default app's claims in the
// default server, whole-segment prefixes as `location = /p` plus `location /p/`, and the proxy's
// own 404 wherever no claim covers `/`.
import { assertNoRouteConflict, type RouteClaim, validateHosts, validatePathPrefix } from "../routing";

/** What the proxy answers for a request no app claims. */
export const NO_APP_BODY = "bluegreen: no app for this host and path\n";

/** http-level settings routing needs: room for long and many server names. */
export function routingHttpSettings(): string {
    return `    server_names_hash_bucket_size 256;
    server_names_hash_max_size 8192;
`;
}

export function notFoundLocation(): string {
    return `        location / {
            default_type text/plain;
            return 404 ${JSON.stringify(NO_APP_BODY)};
        }
`;
}

/** The `location` matches that cover a prefix in whole segments: `/`, or `= /p` and `/p/`. */
export function prefixMatches(prefix: string): string[] {
    return prefix === "/" ? ["/"] : [`= ${prefix}`, `${prefix}/`];
}

/** How each server of a listener is made. */
export interface ServerShape<C extends RouteClaim> {
    /** The directives a server opens with: its `listen` lines (`default_server` on the catch-all), TLS (per its claims). */
    head(defaultServer: boolean, claims: readonly C[]): string;
    /** The locations that serve one claim (see prefixMatches). */
    claimLocations(claim: C): string;
    /** Locations every server has besides its claims' (e.g. the ACME challenge). Default none. */
    readonly common?: string;
    /** What answers what the claims leave (`rootClaimed`: a claim covers `/`). Default the proxy's 404 if none does. */
    fallback?(rootClaimed: boolean): string;
}

/** Server blocks for every claim, each host's claims together in one server. */
export function routeServers<C extends RouteClaim>(claims: readonly C[], shape: ServerShape<C>): string {
    assertNoRouteConflict(claims);
    const fallback = (rootClaimed: boolean) =>
        shape.fallback ? shape.fallback(rootClaimed) : rootClaimed ? "" : notFoundLocation();
    const byHost = new Map<string, C[]>();
    for (const claim of claims) {
        validatePathPrefix(`${claim.app}: pathPrefix`, claim.pathPrefix);
        for (const host of validateHosts(`${claim.app}: hosts`, claim.hosts)) {
            byHost.set(host, [...(byHost.get(host) ?? []), claim]);
        }
    }
    const server = (names: string, claimsOfServer: readonly C[]) => {
        const rootClaimed = claimsOfServer.some((c) => c.pathPrefix === "/");
        return `
    server {
${shape.head(names === "_", claimsOfServer)}        server_name ${names};
${claimsOfServer.map((c) => shape.claimLocations(c)).join("")}${shape.common ?? ""}${fallback(rootClaimed)}    }
`;
    };
    // The default server takes every host no server names; without a default app it is all 404.
    let text = server(
        "_",
        claims.filter((c) => c.hosts.length === 0),
    );
    for (const [host, claimsOfHost] of byHost) {
        text += server(host, claimsOfHost);
    }
    return text;
}
