// Requests through a proxy shared by several apps: a path on its listener, with a Host header.
import { probe, type ProbeResult } from "../../components/runtime/probe";

/** GETs through the proxy at `base` (e.g. http://127.0.0.1:18180): the answer, or `<status> <body>` in one string. */
export function routedClient(base: string) {
    const get = (path: string, host?: string): Promise<ProbeResult> =>
        probe(`${base}${path}`, 3000, host ? { Host: host } : {});
    const answer = async (path: string, host?: string): Promise<string> => {
        const result = await get(path, host);
        return `${result.status} ${result.body.trim()}`;
    };
    return { get, answer };
}
