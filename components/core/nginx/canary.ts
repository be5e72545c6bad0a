// Canary: a sticky share of clients to the idle colour. Each client carries an id in the cookie
// `bg_client` (one without it gets a fresh random id, and the cookie, in its first answer); a hash
// of the id picks the colour (split_clients, MurmurHash2), the way kamal-proxy's rollout does, so
// nobody bounces between versions and raising the share only moves clients towards the canary.
import { Color } from "../color";
import { assertSafe, LIVE_UPSTREAM } from "./upstreams";

export interface Canary {
    /** 1 to 100: the share of clients to `color`. */
    readonly percent: number;
    /** The idle colour that takes the share, and its host on the stack's network. */
    readonly color: Color;
    readonly host: string;
}

export const CANARY_UPSTREAM = "bluegreen_canary";
/** The cookie that carries a client's id. */
export const CLIENT_COOKIE = "bg_client";
/** What a location with a canary proxies to and tags answers with (nginx variables set below). */
export const CANARY_TARGET = { upstream: "$bluegreen_upstream", color: "$bluegreen_color" };

function assertCanary(c: Canary, port: number): void {
    if (!Number.isInteger(c.percent) || c.percent < 1 || c.percent > 100) {
        throw new Error(`canary percent must be an integer from 1 to 100 (got ${c.percent})`);
    }
    assertSafe({ color: c.color, host: c.host, port });
}

/** The maps and the upstream of a canary (http level); `live` is the live colour. */
export function canaryRouting(c: Canary, live: Color, port: number, swarm: boolean): string {
    assertCanary(c, port);
    const split = c.percent === 100 ? "        * canary;" : `        ${c.percent}% canary;\n        * live;`;
    const server = swarm
        ? `server ${c.host}:${port} resolve max_fails=1 fail_timeout=2s;`
        : `server ${c.host}:${port} max_fails=0;`;
    return `
    # Canary: ${c.percent}% of clients to ${c.color}, sticky by the ${CLIENT_COOKIE} cookie.
    upstream ${CANARY_UPSTREAM} {
${swarm ? `        zone ${CANARY_UPSTREAM} 64k;\n` : ""}        ${server}
        keepalive 128;
        keepalive_timeout 60s;
    }

    # A client's id: its cookie, or for a new client this request's random id (sent back below).
    map $cookie_${CLIENT_COOKIE} $bluegreen_client {
        "" $request_id;
        default $cookie_${CLIENT_COOKIE};
    }
    map $cookie_${CLIENT_COOKIE} $bluegreen_set_cookie {
        "" "${CLIENT_COOKIE}=$request_id; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly";
        default "";
    }
    split_clients "$bluegreen_client" $bluegreen_share {
${split}
    }
    map $bluegreen_share $bluegreen_upstream {
        canary ${CANARY_UPSTREAM};
        default ${LIVE_UPSTREAM};
    }
    map $bluegreen_share $bluegreen_color {
        canary ${c.color};
        default ${live};
    }
`;
}

/** Inside the proxying location: the cookie for new clients (empty values send no header). */
export function canaryCookie(): string {
    return `            add_header Set-Cookie $bluegreen_set_cookie always;
`;
}
