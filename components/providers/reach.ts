// HTTP probes at an Endpoint (components/site.ts): straight from this machine, or from inside a
// container of the stack through `docker exec`, so a remote engine needs no port reachable from here.
import { Endpoint, Vantage } from "../site";
import { docker, lastLine } from "./docker";
import { probe, ProbeResult } from "./probe";
import { serviceContainers } from "./swarmService";

// Runs in the vantage container (bash, coreutils' timeout): one HTTP/1.0 GET on a new connection,
// the raw answer on stdout. Arguments only, never spliced into the text: host, port, path, seconds.
const GET_SCRIPT = `exec timeout "$4" bash -c '
{ printf "GET %s HTTP/1.0\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n" "$2" "$0" >&3; cat <&3; } \\
  2>/dev/null 3<>"/dev/tcp/$0/$1" || exit 7' "$1" "$2" "$3"`;

/** Exit code of GET_SCRIPT when the connection was refused or the name did not resolve. */
const NO_CONNECTION = 7;
/** coreutils' timeout. */
const TIMED_OUT = 124;

/** The container a vantage names: itself, or its service's running task on this node. */
export async function vantageContainer(from: Vantage): Promise<string | undefined> {
    if (!from.service) {
        return from.name;
    }
    return (await serviceContainers(from.name, "running"))?.[0];
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

/** One GET from inside `from`; never throws. */
async function probeFrom(from: Vantage, url: string, timeoutMs: number): Promise<ProbeResult> {
    const target = new URL(url);
    if (!/^[A-Za-z0-9.-]+$/.test(target.hostname) || target.protocol !== "http:") {
        return { body: "", headers: {}, error: `cannot probe ${url} from a container (plain http://host:port only)` };
    }
    const container = await vantageContainer(from);
    if (container === undefined) {
        return { body: "", headers: {}, error: `no running task of ${from.name} on this node` };
    }
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const port = target.port || "80";
    const result = await docker(
        [
            "exec",
            container,
            "bash",
            "-c",
            GET_SCRIPT,
            "probe",
            target.hostname,
            port,
            target.pathname + target.search,
            String(seconds),
        ],
        // docker exec over SSH pays a round trip or two on top of the probe itself.
        { timeoutMs: timeoutMs + 15000 },
    ).catch((err: Error) => ({ code: -1, stdout: "", stderr: err.message }));
    const parsed = parseRawHttp(result.stdout);
    if (parsed !== undefined) {
        return parsed;
    }
    const error =
        result.code === NO_CONNECTION
            ? "ECONNREFUSED"
            : result.code === TIMED_OUT
              ? "ETIMEDOUT"
              : result.code === 0
                ? "no HTTP answer"
                : `docker exec into ${from.name} failed: ${lastLine(result.stderr || result.stdout)}`;
    return { body: "", headers: {}, error };
}

/** One GET of `path` at the endpoint, on a new connection; never throws. */
export function probeEndpoint(endpoint: Endpoint, path: string, timeoutMs: number): Promise<ProbeResult> {
    const url = endpoint.url + path;
    return endpoint.from === undefined ? probe(url, timeoutMs) : probeFrom(endpoint.from, url, timeoutMs);
}

/** For messages: the URL, and where it is opened from when that is not this machine. */
export function describeEndpoint(endpoint: Endpoint, path = ""): string {
    return endpoint.from === undefined
        ? endpoint.url + path
        : `${endpoint.url}${path} (from inside ${endpoint.from.name})`;
}
