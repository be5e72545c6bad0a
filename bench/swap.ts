// `make bench`: swaps under GET and POST keep-alive load through the real stack, against a
// no-swap baseline and a naive in-place replacement. Prints a table, writes bench/results/.
import { docker, dockerOk } from "../components/runtime/docker";
import { EngineName } from "../components/core/engineRules";
import { benchEngines, benchLog, envNumber, machine, writeResults } from "./report";
import {
    CONNECTIONS_PER_METHOD,
    failedCell,
    loadSeconds,
    mean,
    percentile,
    ScenarioResult,
    summarize,
    Swap,
    timedUp,
    underLoad,
} from "./scenario";
import { TEST_ENGINE } from "../test/support/engine";
import { createTestStack, sampleConfig, TestStack } from "../test/support/stack";

export type { ScenarioResult } from "./scenario";

export interface BenchOptions {
    /** The engine of the bench stack; the suites' engine (BLUEGREEN_ENGINE) when unset. */
    readonly engine?: EngineName;
    readonly flips: number;
    readonly releases: number;
    readonly naiveSwaps: number;
    /** Total request rate, split evenly between GET and POST. */
    readonly rps: number;
    readonly baselineSeconds: number;
    readonly publicPort: number;
    readonly log: (line: string) => void;
}

export interface BenchResult {
    readonly machine: string;
    readonly date: string;
    readonly options: Omit<BenchOptions, "log">;
    /** Without load: no-change `pulumi up` and flip-only `pulumi up` on the same stack. */
    readonly noChangeUpSeconds: number[];
    readonly flipUpSeconds: number[];
    readonly engine: EngineName;
    readonly scenarios: ScenarioResult[];
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
    const engine = options.engine ?? TEST_ENGINE;
    const t = await createTestStack("bench", { ...sampleConfig(options.publicPort), engine });
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
            engine,
            scenarios,
        };
    } finally {
        await t.cleanup();
    }
}

/** One table for one or more runs (one per engine), side by side. */
export function markdownTable(results: BenchResult[]): string {
    const ms = (values: number[]) =>
        values.length ? `${percentile(values, 50)} / ${percentile(values, 95)} / ${Math.max(...values)}` : "-";
    const rows = results.flatMap((result) =>
        result.scenarios.map((s) => {
            const failed = failedCell(s.failed, s.failedByKind);
            const upTime = s.upSeconds.length ? `${mean(s.upSeconds).toFixed(1)} s` : "-";
            return (
                `| ${result.engine} | ${s.name} | ${s.swaps} | ${s.requests} | ${failed} | ${s.p50Ms.toFixed(1)} / ${s.p99Ms.toFixed(1)} ` +
                `| ${ms(s.switchMs)} | ${ms(s.switchStepMs)} | ${upTime} |`
            );
        }),
    );
    const ratios = results.map((result) => {
        const noChange = percentile(result.noChangeUpSeconds, 50);
        const flipUp = percentile(result.flipUpSeconds, 50);
        return `${result.engine} ${flipUp.toFixed(1)} s against ${noChange.toFixed(1)} s (${(flipUp / noChange).toFixed(2)}x)`;
    });
    const first = results[0];
    return [
        "| engine | scenario | swaps | requests | failed | latency p50 / p99 (ms) | switch p50 / p95 / max (ms) " +
            "| switch step p50 / p95 / max (ms) | pulumi up (mean, under load) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ...rows,
        "",
        `Switch: from nginx's reload signal to the first answer of the new colour on a fresh connection. Switch ` +
            `step: validating and installing the config first (nsenter into the proxy on a local engine, else docker exec), then the switch.`,
        `Without load (median of 4 each, interleaved), a flip-only \`pulumi up\` against a no-change one: ${ratios.join("; ")}.`,
        `Load: ${first.options.rps} rps in total (GET and POST, ${CONNECTIONS_PER_METHOD} keep-alive connections ` +
            `each, Debian's hey). Machine: ${first.machine}. Date: ${first.date}.`,
    ].join("\n");
}

async function main(): Promise<void> {
    const results: BenchResult[] = [];
    for (const engine of benchEngines()) {
        results.push(
            await runBench({
                engine,
                flips: envNumber("BENCH_FLIPS", 20),
                releases: envNumber("BENCH_RELEASES", 10),
                naiveSwaps: envNumber("BENCH_NAIVE", 5),
                rps: envNumber("BENCH_RPS", 500),
                baselineSeconds: envNumber("BENCH_BASELINE_SECONDS", 15),
                publicPort: envNumber("BENCH_PORT", 19080),
                log: benchLog,
            }),
        );
    }
    writeResults("latest", results, markdownTable(results));
}

if (require.main === module) {
    main().catch((err) => {
        console.error(`bench failed: ${(err as Error).message}`);
        process.exit(1);
    });
}
