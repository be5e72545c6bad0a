// HTTP probing on fresh connections, shared by the health check and the proxy switch.
// A fresh connection per request: a reused keep-alive connection could reach an old nginx worker.
import * as http from "http";

export interface ProbeResult {
    /** HTTP status, or undefined when no response arrived. */
    readonly status?: number;
    readonly body: string;
    readonly headers: Record<string, unknown>;
    /** Why no response arrived (connection refused, timeout, ...). */
    readonly error?: string;
}

/** One GET on a new connection, with `headers` added (e.g. a Host); never throws. */
export async function probe(
    url: string,
    timeoutMs: number,
    headers: Record<string, string> = {},
): Promise<ProbeResult> {
    // Required here, not at the top: dynamic providers are serialized and axios loads lazily.
    const axios = require("axios") as typeof import("axios");
    try {
        const response = await axios.get(url, {
            timeout: timeoutMs,
            responseType: "text",
            transformResponse: (data: unknown) => data,
            validateStatus: () => true,
            maxRedirects: 0,
            httpAgent: new http.Agent({ keepAlive: false }),
            headers: { ...headers, Connection: "close" },
        });
        return { status: response.status, body: String(response.data ?? ""), headers: { ...response.headers } };
    } catch (err) {
        const e = err as { code?: string; message?: string };
        return { body: "", headers: {}, error: e.code ?? e.message ?? String(err) };
    }
}

export function describeProbe(result: ProbeResult): string {
    return result.status !== undefined ? `HTTP ${result.status}` : `no response (${result.error})`;
}

/** Pause between health probes while a colour has not answered 2xx yet. */
export const FIRST_ANSWER_RETRY_MS = 50;

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
