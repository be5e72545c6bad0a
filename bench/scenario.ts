// What the swap benches share (bench/swap.ts, bench/swarm.ts): GET and POST keep-alive load
// around an action, one `pulumi up` timed with the proxy switch's figures read from the stack's
// state, and the summary of a scenario's load.
import { LoadResult, startLoad } from "../test/support/hey";
import { TestStack } from "../test/support/stack";

/** Keep-alive connections per method (GET, POST). */
export const CONNECTIONS_PER_METHOD = 10;

/** Where and how hard the load goes. */
export interface LoadTarget {
    /** Total request rate, split evenly between GET and POST. */
    readonly rps: number;
    /** The proxy's public port on 127.0.0.1. */
    readonly publicPort: number;
}

export interface ScenarioResult {
    readonly name: string;
    readonly swaps: number;
    readonly requests: number;
    readonly failed: number;
    readonly failedByKind: Record<string, number>;
    readonly p50Ms: number;
    readonly p99Ms: number;
    /** Switch latency per swap: reload signal -> first answer from the new colour on a fresh connection. */
    readonly switchMs: number[];
    /** The whole switch step per swap: validate and install the config, signal, first answer. */
    readonly switchStepMs: number[];
    /** Wall time of each `pulumi up`. */
    readonly upSeconds: number[];
}

/** One timed `pulumi up` and what its proxy switch reported (nothing when it did not switch). */
export interface Swap {
    readonly seconds: number;
    readonly switchMs?: number;
    readonly prepareMs?: number;
    readonly reloadVia?: string;
}

export function percentile(values: number[], p: number): number {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function mean(values: number[]): number {
    return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Runs GET and POST load at `rps` in total while `action` runs; the load outlasts it. */
export async function underLoad(
    target: LoadTarget,
    seconds: number,
    action: () => Promise<void>,
): Promise<LoadResult[]> {
    const perConnection = Math.max(1, Math.round(target.rps / 2 / CONNECTIONS_PER_METHOD));
    const url = `http://127.0.0.1:${target.publicPort}/`;
    const load = Promise.all(
        (["GET", "POST"] as const).map((method) =>
            startLoad({ url, seconds, rpsPerConnection: perConnection, connections: CONNECTIONS_PER_METHOD, method }),
        ),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await action();
    return load;
}

/** Failed requests by method and kind ("POST HTTP 502", "GET EOF"). */
export function failedByKind(load: LoadResult[]): Record<string, number> {
    const byKind: Record<string, number> = {};
    for (const l of load) {
        for (const [kind, n] of [...Object.entries(l.statuses), ...Object.entries(l.errors)]) {
            const key = `${l.method} ${/^\d+$/.test(kind) ? `HTTP ${kind}` : kind}`;
            byKind[key] = (byKind[key] ?? 0) + n;
        }
    }
    return byKind;
}

export function summarize(name: string, swaps: number, load: LoadResult[], ups: Swap[]): ScenarioResult {
    return {
        name,
        swaps,
        requests: load.reduce((a, l) => a + l.total, 0),
        failed: load.reduce((a, l) => a + l.failed, 0),
        failedByKind: failedByKind(load),
        p50Ms: Math.max(...load.map((l) => l.p50Ms ?? NaN)),
        p99Ms: Math.max(...load.map((l) => l.p99Ms ?? NaN)),
        switchMs: ups.flatMap((u) => (u.switchMs === undefined ? [] : [u.switchMs])),
        switchStepMs: ups.flatMap((u) => (u.switchMs === undefined ? [] : [u.switchMs + (u.prepareMs ?? 0)])),
        upSeconds: ups.map((u) => u.seconds),
    };
}

/** Runs `pulumi up` on the stack; its wall time and the proxy switch's outputs from the state. */
export async function timedUp(t: TestStack): Promise<Swap> {
    const started = Date.now();
    await t.stack.up();
    const seconds = (Date.now() - started) / 1000;
    const deployment = await t.stack.exportStack();
    const resources = (deployment.deployment?.resources ?? []) as {
        urn: string;
        outputs?: { switchMs?: number; prepareMs?: number; reloadVia?: string };
    }[];
    const sw = resources.find((r) => r.urn.endsWith(`::${t.name}-switch`));
    const outputs = sw?.outputs ?? {};
    return { seconds, switchMs: outputs.switchMs, prepareMs: outputs.prepareMs, reloadVia: outputs.reloadVia };
}

/** Estimates how long the load must run to cover `swaps` actions of about `each` seconds. */
export function loadSeconds(swaps: number, each: number): number {
    return Math.ceil(swaps * each + 8);
}

/** Failed requests as "N (n1 kind1, n2 kind2)", or "0". */
export function failedCell(failed: number, byKind: Record<string, number>): string {
    const kinds = Object.entries(byKind)
        .map(([k, n]) => `${n} ${k}`)
        .join(", ");
    return `${failed}${kinds ? ` (${kinds})` : ""}`;
}
