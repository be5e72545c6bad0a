// Proof that nginx serves a config: its version endpoint on fresh connections, long enough that no
// old worker still answers. The proxy switch confirms every reload (and every restore) this way.
import { parseVersionBody, VERSION_PATH } from "../core/nginx";
import type { Endpoint } from "../core/site";
import { describeProbe, ProbeResult, sleep } from "./probe";
import { describeEndpoint, probeEndpoint } from "./reach";

/**
 * After a reload, old workers keep accepting new connections for about 100 ms before they are
 * told to stop, so one answer from the new config is not proof yet: every fresh connection must
 * see it for this long.
 */
export const SETTLE_MS = 250;
/**
 * When every old worker was seen to stop accepting (runtime/retireWorkers.ts), no fresh connection
 * can reach the old config any more: the answers need only show the new one holds.
 */
export const RETIRED_SETTLE_MS = 50;

/**
 * Polls the version endpoint on fresh connections until every answer for `settleMs` reports
 * `version`. Returns the milliseconds until the first answer from the new config.
 */
export async function confirmVersion(
    at: Endpoint,
    version: string,
    timeoutMs: number,
    settleMs = SETTLE_MS,
): Promise<number> {
    const started = Date.now();
    let firstSeen: number | undefined;
    let last: ProbeResult | undefined;
    while (Date.now() - started < timeoutMs) {
        last = await probeEndpoint(at, VERSION_PATH, 2000);
        const current = last.status === 200 && parseVersionBody(last.body)?.version === version;
        if (!current) {
            firstSeen = undefined;
        } else if (firstSeen === undefined) {
            firstSeen = Date.now();
        } else if (Date.now() - firstSeen >= settleMs) {
            return firstSeen - started;
        }
        await sleep(20);
    }
    const seen = last?.status === 200 ? `serving ${last.body.trim()}` : last ? describeProbe(last) : "no answer";
    throw new Error(
        `nginx did not serve config ${version} at ${describeEndpoint(at, VERSION_PATH)} within ${timeoutMs} ms (${seen})`,
    );
}
