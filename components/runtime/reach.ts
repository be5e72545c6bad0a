// HTTP probes at an Endpoint (components/core/site.ts): straight from this machine, or from inside a
// container of the stack (its probe agent, one `docker exec`), so a remote engine needs no port
// reachable from here.
import { Color } from "../core/color";
import { parseVersionBody, VERSION_PATH } from "../core/nginx";
import { Endpoint, Vantage } from "../core/site";
import { agentGet } from "./probeAgent";
import { probe, ProbeResult } from "./probe";
import { serviceContainers } from "./docker";

/** Exit codes of a probe from a container: no connection (refused, no such name), timed out. */
const NO_CONNECTION = 7;
const TIMED_OUT = 124;

/** A service's task container, as last found (a failed probe looks again). */
const taskOf = new Map<string, string>();

/** The container a vantage names: itself, or its service's running task on this node. */
export async function vantageContainer(from: Vantage): Promise<string | undefined> {
    if (!from.service) {
        return from.name;
    }
    const known = taskOf.get(from.name);
    if (known !== undefined) {
        return known;
    }
    const found = (await serviceContainers(from.name, "running"))?.[0];
    if (found !== undefined) {
        taskOf.set(from.name, found);
    }
    return found;
}

/** Splits a raw HTTP/1.x answer into status, headers and body. */
export function parseRawHttp(raw: string): ProbeResult | undefined {
    const split = raw.indexOf("\r\n\r\n");
    const head = split < 0 ? raw : raw.slice(0, split);
    const status = /^HTTP\/1\.[01] ([0-9]{3})/.exec(head)?.[1];
    if (status === undefined) {
        return undefined;
    }
    const headers: Record<string, unknown> = {};
    for (const line of head.split("\r\n").slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0) {
            headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
    }
    return { status: Number(status), headers, body: split < 0 ? "" : raw.slice(split + 4) };
}

/** One GET from inside `from` (through its container's probe agent); never throws. */
async function probeFrom(from: Vantage, url: string, timeoutMs: number, hostHeader?: string): Promise<ProbeResult> {
    const target = new URL(url);
    const path = target.pathname + target.search;
    if (
        target.protocol !== "http:" ||
        !/^[A-Za-z0-9.-]+$/.test(target.hostname) ||
        !/^\/[\x21-\x7e]*$/.test(path) ||
        (hostHeader !== undefined && !/^[A-Za-z0-9.-]+$/.test(hostHeader))
    ) {
        return {
            body: "",
            headers: {},
            error: `cannot probe ${url} from a container (plain http://host:port/path only)`,
        };
    }
    const container = await vantageContainer(from);
    if (container === undefined) {
        return { body: "", headers: {}, error: `no running task of ${from.name} on this node` };
    }
    try {
        const { raw, code } = await agentGet(
            container,
            { host: target.hostname, port: target.port || "80", path, hostHeader },
            timeoutMs,
        );
        const parsed = parseRawHttp(raw);
        if (parsed !== undefined) {
            return parsed;
        }
        const error = code === NO_CONNECTION ? "ECONNREFUSED" : code === TIMED_OUT ? "ETIMEDOUT" : "no HTTP answer";
        return { body: "", headers: {}, error };
    } catch (err) {
        taskOf.delete(from.name); // the task may have been replaced: find it again next time
        return { body: "", headers: {}, error: (err as Error).message };
    }
}

/** One GET of `path` at the endpoint, on a new connection; never throws. */
export function probeEndpoint(endpoint: Endpoint, path: string, timeoutMs: number): Promise<ProbeResult> {
    const url = endpoint.url + path;
    const host = endpoint.hostHeader;
    return endpoint.from === undefined
        ? probe(url, timeoutMs, host ? { Host: host } : {})
        : probeFrom(endpoint.from, url, timeoutMs, host);
}

/** For messages: the URL, and where it is opened from when that is not this machine. */
export function describeEndpoint(endpoint: Endpoint, path = ""): string {
    const host = endpoint.hostHeader ? ` (Host: ${endpoint.hostHeader})` : "";
    return endpoint.from === undefined
        ? `${endpoint.url}${path}${host}`
        : `${endpoint.url}${path}${host} (from inside ${endpoint.from.name})`;
}

/** The colour nginx serves at `at` (its version endpoint), or undefined when no proxy answers. */
export async function servingColor(at: Endpoint): Promise<Color | undefined> {
    return (await served(at))?.color;
}

/** What nginx serves: the live colour and any canary share, or undefined when no colour is live. */
export async function served(
    at: Endpoint,
): Promise<{ color: Color; canary?: { percent: number; color: Color } } | undefined> {
    const result = await probeEndpoint(at, VERSION_PATH, 2000);
    const body = result.status === 200 ? parseVersionBody(result.body) : undefined;
    if (body === undefined || body.color === "none") {
        return undefined;
    }
    const canary = body.canary ? { percent: body.canary.percent, color: body.canary.color as Color } : undefined;
    return { color: body.color as Color, ...(canary ? { canary } : {}) };
}
