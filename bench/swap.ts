// `make bench`: swaps under GET and POST keep-alive load through the real stack, against a
// no-swap baseline and a naive in-place replacement. Prints a table, writes bench/results/.
import { docker, dockerOk } from "../components/providers/docker";
import { LoadResult, startLoad } from "../test/support/hey";
import { benchLog, envNumber, machine, writeResults } from "./report";
import { createTestStack, sampleConfig, TestStack } from "../test/support/stack";

export interface BenchOptions {
    readonly flips: number;
    readonly releases: number;
    readonly naiveSwaps: number;
    /** Total request rate, split evenly between GET and POST. */
    readonly rps: number;
    readonly baselineSeconds: number;
    readonly publicPort: number;
    readonly log: (line: string) => void;
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

export interface BenchResult {
    readonly machine: string;
    readonly date: string;
    readonly options: Omit<BenchOptions, "log">;
    /** Without load: no-change `pulumi up` and flip-only `pulumi up` on the same stack. */
    readonly noChangeUpSeconds: number[];
    readonly flipUpSeconds: number[];
    readonly scenarios: ScenarioResult[];
}

const CONNECTIONS_PER_METHOD = 10;

function percentile(values: number[], p: number): number {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function mean(values: number[]): number {
    return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Runs GET and POST load at `rps` in total while `action` runs; the load outlasts it. */
async function underLoad(options: BenchOptions, seconds: number, action: () => Promise<void>): Promise<LoadResult[]> {
    const perConnection = Math.max(1, Math.round(options.rps / 2 / CONNECTIONS_PER_METHOD));
    const url = `http://127.0.0.1:${options.publicPort}/`;
    const load = Promise.all(
        (["GET", "POST"] as const).map((method) =>
            startLoad({ url, seconds, rpsPerConnection: perConnection, connections: CONNECTIONS_PER_METHOD, method }),
        ),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await action();
    return load;
}

interface Swap {
    readonly seconds: number;
    readonly switchMs?: number;
    readonly prepareMs?: number;
    readonly reloadVia?: string;
}

function summarize(name: string, swaps: number, load: LoadResult[], ups: Swap[]): ScenarioResult {
    const failedByKind: Record<string, number> = {};
    for (const l of load) {
        for (const [kind, n] of [...Object.entries(l.statuses), ...Object.entries(l.errors)]) {
            const key = `${l.method} ${/^\d+$/.test(kind) ? `HTTP ${kind}` : kind}`;
            failedByKind[key] = (failedByKind[key] ?? 0) + n;
        }
    }
    return {
        name,
        swaps,
        requests: load.reduce((a, l) => a + l.total, 0),
        failed: load.reduce((a, l) => a + l.failed, 0),
        failedByKind,
        p50Ms: Math.max(...load.map((l) => l.p50Ms ?? NaN)),
        p99Ms: Math.max(...load.map((l) => l.p99Ms ?? NaN)),
        switchMs: ups.flatMap((u) => (u.switchMs === undefined ? [] : [u.switchMs])),
        switchStepMs: ups.flatMap((u) => (u.switchMs === undefined ? [] : [u.switchMs + (u.prepareMs ?? 0)])),
        upSeconds: ups.map((u) => u.seconds),
    };
}

async function timedUp(t: TestStack): Promise<Swap> {
    const started = Date.now();
    await t.stack.up();
    const seconds = (Date.now() - started) / 1000;
    const deployment = await t.stack.exportStack();
    const resources = (deployment.deployment?.resources ?? []) as {
        urn: string;
        outputs?: { switchMs?: number; prepareMs?: number; reloadVia?: string };
    }[];
    const sw = resources.find((r) => r.urn.endsWith("::bluegreen-switch"));
    const outputs = sw?.outputs ?? {};
    return { seconds, switchMs: outputs.switchMs, prepareMs: outputs.prepareMs, reloadVia: outputs.reloadVia };
}

/** Estimates how long the load must run to cover `swaps` actions of about `each` seconds. */
function loadSeconds(swaps: number, each: number): number {
    return Math.ceil(swaps * each + 8);
}

/** The baseline we avoid: replace the live container in place (stop old, start new) under load. */
async function naive(t: TestStack, live: string, options: BenchOptions): Promise<ScenarioResult> {
    options.log(
        `naive: ${options.naiveSwaps} in-place replacements of the live container (stop old, start new) under load`,
    );
    const liveName = `${t.name}-${live}`;
    const image = await dockerOk(["inspect", "--format", "{{.Config.Image}}", liveName]);
    const naiveLoad = await underLoad(options, loadSeconds(options.naiveSwaps, 3), async () => {
        for (let i = 0; i < options.naiveSwaps; i++) {
            await dockerOk(["rm", "-f", liveName]);
            await dockerOk(["run", "-d", "--name", liveName, "--network", `${t.name}-net`, image]);
            await new Promise((resolve) => setTimeout(resolve, 1500));
        }
    });
    const result = summarize("naive", options.naiveSwaps, naiveLoad, []);
    // The naive container lacks the stack's labels and ports: remove it so destroy stays clean.
    await docker(["rm", "-f", liveName]);
    return result;
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
    const { log, ...settings } = options;
    const t = await createTestStack("bench", sampleConfig(options.publicPort));
    const scenarios: ScenarioResult[] = [];
    try {
        log("deploying the bench stack");
        await t.stack.up();
        let live: "blue" | "green" = "blue";
        const flip = () => (live = live === "blue" ? "green" : "blue");

        log("without load: 4 no-change and 4 flip-only pulumi up, interleaved (wall-time ratio)");
        const noChangeUpSeconds: number[] = [];
        const flipUpSeconds: number[] = [];
        for (let i = 0; i < 4; i++) {
            noChangeUpSeconds.push((await timedUp(t)).seconds);
            await t.setConfig({ liveColor: flip() });
            flipUpSeconds.push((await timedUp(t)).seconds);
        }

        log(`baseline: ${options.baselineSeconds} s of load, no swaps`);
        const baseline = await underLoad(options, options.baselineSeconds, async () => undefined);
        scenarios.push(summarize("baseline", 0, baseline, []));

        const swaps = async (
            name: string,
            count: number,
            each: number,
            change: (i: number) => Record<string, string>,
        ) => {
            log(`${name}: ${count} pulumi up under load`);
            const ups: Swap[] = [];
            const load = await underLoad(options, loadSeconds(count, each), async () => {
                for (let i = 0; i < count; i++) {
                    const config = change(i);
                    await t.setConfig(config);
                    const up = await timedUp(t);
                    ups.push(up);
                    log(
                        `  ${name} ${i + 1}/${count} ${JSON.stringify(config)}: up ${up.seconds.toFixed(1)} s, ` +
                            `switch ${up.switchMs} ms (+${up.prepareMs} ms validate and install, reload via ${up.reloadVia})`,
                    );
                }
            });
            scenarios.push(summarize(name, count, load, ups));
        };
        await swaps("flip", options.flips, 12, () => ({ liveColor: flip() }));
        await swaps("release", options.releases, 15, (i) => {
            const idle = flip();
            return { [`${idle}Image`]: `bluegreen-sample:${i % 2 === 0 ? 2 : 3}`, liveColor: idle };
        });

        if (options.naiveSwaps > 0) scenarios.push(await naive(t, live, options));

        return {
            machine: machine(),
            date: new Date().toISOString(),
            options: settings,
            noChangeUpSeconds,
            flipUpSeconds,
            scenarios,
        };
    } finally {
        await t.cleanup();
    }
}

export function markdownTable(result: BenchResult): string {
    const ms = (values: number[]) =>
        values.length ? `${percentile(values, 50)} / ${percentile(values, 95)} / ${Math.max(...values)}` : "-";
    const rows = result.scenarios.map((s) => {
        const failedKinds = Object.entries(s.failedByKind)
            .map(([k, n]) => `${n} ${k}`)
            .join(", ");
        const failed = `${s.failed}${failedKinds ? ` (${failedKinds})` : ""}`;
        const upTime = s.upSeconds.length ? `${mean(s.upSeconds).toFixed(1)} s` : "-";
        return (
            `| ${s.name} | ${s.swaps} | ${s.requests} | ${failed} | ${s.p50Ms.toFixed(1)} / ${s.p99Ms.toFixed(1)} ` +
            `| ${ms(s.switchMs)} | ${ms(s.switchStepMs)} | ${upTime} |`
        );
    });
    const noChange = percentile(result.noChangeUpSeconds, 50);
    const flipUp = percentile(result.flipUpSeconds, 50);
    return [
        "| scenario | swaps | requests | failed | latency p50 / p99 (ms) | switch p50 / p95 / max (ms) " +
            "| switch step p50 / p95 / max (ms) | pulumi up (mean, under load) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ...rows,
        "",
        `Switch: from nginx's reload signal to the first answer of the new colour on a fresh connection. Switch ` +
            `step: validating and installing the config first (one docker exec), then the switch.`,
        `Without load (median of 4 each, interleaved), a flip-only \`pulumi up\` took ${flipUp.toFixed(1)} s ` +
            `against ${noChange.toFixed(1)} s for a no-change one: ${(flipUp / noChange).toFixed(2)}x.`,
        `Load: ${result.options.rps} rps in total (GET and POST, ${CONNECTIONS_PER_METHOD} keep-alive connections ` +
            `each, Debian's hey). Machine: ${result.machine}. Date: ${result.date}.`,
    ].join("\n");
}

async function main(): Promise<void> {
    const result = await runBench({
        flips: envNumber("BENCH_FLIPS", 20),
        releases: envNumber("BENCH_RELEASES", 10),
        naiveSwaps: envNumber("BENCH_NAIVE", 5),
        rps: envNumber("BENCH_RPS", 500),
        baselineSeconds: envNumber("BENCH_BASELINE_SECONDS", 15),
        publicPort: envNumber("BENCH_PORT", 19080),
        log: benchLog,
    });
    writeResults("latest", result, markdownTable(result));
}

if (require.main === module) {
    main().catch((err) => {
        console.error(`bench failed: ${(err as Error).message}`);
        process.exit(1);
    });
}
