// Runs Debian's `hey` against a loopback URL and parses its report. Shared by tests and the bench.
import * as childProcess from "child_process";

export interface LoadOptions {
    readonly url: string;
    readonly seconds: number;
    /** Requests per second per connection (hey -q). */
    readonly rpsPerConnection: number;
    readonly connections: number;
    readonly method?: "GET" | "POST";
    /** The Host header to send (hey -host), for an app routed by host name. */
    readonly host?: string;
    /** Run hey inside this network namespace (a remote test host's), so `url` is its 127.0.0.1. */
    readonly netns?: string;
}

export interface LoadResult {
    readonly method: string;
    readonly total: number;
    readonly ok: number;
    /** Non-2xx answers by status code. */
    readonly statuses: Record<string, number>;
    /** Socket-level failures by message (EOF, reset, refused, timeout). */
    readonly errors: Record<string, number>;
    readonly failed: number;
    /** Latency percentiles in milliseconds, as hey reports them. */
    readonly p50Ms?: number;
    readonly p99Ms?: number;
    readonly report: string;
}

export function parseHey(method: string, report: string): LoadResult {
    const statuses: Record<string, number> = {};
    const errors: Record<string, number> = {};
    let ok = 0;
    let section = "";
    let p50Ms: number | undefined;
    let p99Ms: number | undefined;
    for (const line of report.split("\n")) {
        if (/^Status code distribution:/.test(line)) section = "status";
        else if (/^Error distribution:/.test(line)) section = "errors";
        else if (/^Latency distribution:/.test(line)) section = "latency";
        else if (/^\S/.test(line)) section = "";
        const status = section === "status" && /^\s+\[(\d+)\]\s+(\d+) responses/.exec(line);
        if (status) {
            if (status[1].startsWith("2")) ok += Number(status[2]);
            else statuses[status[1]] = (statuses[status[1]] ?? 0) + Number(status[2]);
        }
        const error = section === "errors" && /^\s+\[(\d+)\]\s+(.*)$/.exec(line);
        if (error) {
            // Group by the kind of failure, not the URL in the message.
            const kind = /EOF|reset|refused|timeout|broken pipe/i.exec(error[2])?.[0] ?? error[2].slice(0, 60);
            errors[kind] = (errors[kind] ?? 0) + Number(error[1]);
        }
        const latency = section === "latency" && /^\s+(\d+)% in ([\d.]+) secs/.exec(line);
        if (latency && latency[1] === "50") p50Ms = Number(latency[2]) * 1000;
        if (latency && latency[1] === "99") p99Ms = Number(latency[2]) * 1000;
    }
    const failed =
        Object.values(statuses).reduce((a, b) => a + b, 0) + Object.values(errors).reduce((a, b) => a + b, 0);
    return { method, total: ok + failed, ok, statuses, errors, failed, p50Ms, p99Ms, report };
}

/** Starts hey in the background; the promise resolves with its parsed report when it ends. */
export function startLoad(options: LoadOptions): Promise<LoadResult> {
    const method = options.method ?? "GET";
    const args = [
        "-z",
        `${options.seconds}s`,
        "-q",
        String(options.rpsPerConnection),
        "-c",
        String(options.connections),
        "-m",
        method,
        "-t",
        "10",
    ];
    if (method === "POST") args.push("-d", "payload=1", "-T", "application/x-www-form-urlencoded");
    if (options.host !== undefined) args.push("-host", options.host);
    args.push(options.url);
    const [file, argv] = options.netns
        ? ["nsenter", [`--net=/var/run/netns/${options.netns}`, "hey", ...args]]
        : ["hey", args];
    return new Promise((resolve, reject) => {
        childProcess.execFile(
            file,
            argv,
            { timeout: (options.seconds + 30) * 1000, maxBuffer: 16 * 1024 * 1024 },
            (error, stdout, stderr) => {
                if (error) {
                    reject(new Error(`hey failed (is it installed? make setup): ${error.message} ${stderr}`));
                    return;
                }
                resolve(parseHey(method, stdout));
            },
        );
    });
}
