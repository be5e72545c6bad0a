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

/** The names one canary's nginx objects take: the defaults, or an app's own on a shared proxy. */
export interface CanaryNames {
    /** The canary colour's upstream, and the live colour's. */
    readonly upstream: string;
    readonly live: string;
    /** Variables: the client's share, the upstream and the colour it picks. */
    readonly share: string;
    readonly pickedUpstream: string;
    readonly pickedColor: string;
}

const DEFAULT_NAMES: CanaryNames = {
    upstream: CANARY_UPSTREAM,
    live: LIVE_UPSTREAM,
    share: "$bluegreen_share",
    pickedUpstream: CANARY_TARGET.upstream,
    pickedColor: CANARY_TARGET.color,
};

/** An app's canary names on a shared proxy, by its key (a hash of its name). */
export function appCanaryNames(key: string, live: string): CanaryNames {
    if (!/^[0-9a-f]{12}$/.test(key)) {
        throw new Error(`an app's key is 12 hex digits (got ${JSON.stringify(key)})`);
    }
    return {
        upstream: `bluegreen_canary_${key}`,
        live,
        share: `$bluegreen_share_${key}`,
        pickedUpstream: `$bluegreen_upstream_${key}`,
        pickedColor: `$bluegreen_color_${key}`,
    };
}

/** The maps and the upstream of a canary (http level); `live` is the live colour. */
export function canaryRouting(c: Canary, live: Color, port: number, swarm: boolean): string {
    const [upstream, split] = canaryParts(c, live, port, swarm, DEFAULT_NAMES);
    return `${upstream}${clientMaps()}${split}`;
}

/** One app's canary on a shared proxy (the client maps come once, from clientMaps). */
export function appCanary(c: Canary, live: Color, port: number, names: CanaryNames): string {
    return canaryParts(c, live, port, false, names).join("");
}

/** A client's id: its cookie, or for a new client this request's random id (sent back below). */
export function clientMaps(): string {
    return `
    # A client's id: its cookie, or for a new client this request's random id (sent back below).
    map $cookie_${CLIENT_COOKIE} $bluegreen_client {
        "" $request_id;
        default $cookie_${CLIENT_COOKIE};
    }
    map $cookie_${CLIENT_COOKIE} $bluegreen_set_cookie {
        "" "${CLIENT_COOKIE}=$request_id; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly";
        default "";
    }`;
}

function canaryParts(c: Canary, live: Color, port: number, swarm: boolean, names: CanaryNames): [string, string] {
    assertCanary(c, port);
    const split = c.percent === 100 ? "        * canary;" : `        ${c.percent}% canary;\n        * live;`;
    const server = swarm
        ? `server ${c.host}:${port} resolve max_fails=1 fail_timeout=2s;`
        : `server ${c.host}:${port} max_fails=0;`;
    return [
        `
    # Canary: ${c.percent}% of clients to ${c.color}, sticky by the ${CLIENT_COOKIE} cookie.
    upstream ${names.upstream} {
${swarm ? `        zone ${names.upstream} 64k;\n` : ""}        ${server}
        keepalive 128;
        keepalive_timeout 60s;
    }
`,
        `
    split_clients "$bluegreen_client" ${names.share} {
${split}
    }
    map ${names.share} ${names.pickedUpstream} {
        canary ${names.upstream};
        default ${names.live};
    }
    map ${names.share} ${names.pickedColor} {
        canary ${c.color};
        default ${live};
    }
`,
    ];
}

/** Inside the proxying location: the cookie for new clients (empty values send no header). */
export function canaryCookie(): string {
    return `            add_header Set-Cookie $bluegreen_set_cookie always;
`;
}
