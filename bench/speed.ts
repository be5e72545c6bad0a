// `make bench`, release speed: wall time of the commands users run (`npm run release`, `npm run
// rollback`), a no-change `pulumi up` and an empty program's `pulumi up`, in one run on one
// machine, on each engine side by side (one stack per engine, rounds interleaved), idle and under
// the swap bench's GET and POST keep-alive load. Also the bytes each release adds to the file
// backend. Medians; prints a table and writes bench/results/speed.{md,json}.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineName } from "../components/core/engineRules";
import { stackConfig } from "../scripts/stackFiles";
import { LoadResult, startLoad } from "../test/support/hey";
import { timedToTraffic } from "./toTraffic";
import { benchEngines, benchLog, envNumber, machine, writeResults } from "./report";
import { createTestStack, sampleConfig, TestStack } from "../test/support/stack";

const REPO = path.resolve(__dirname, "../..");

export interface SpeedOptions {
    /** One stack per engine, measured in the same rounds. */
    readonly engines: readonly EngineName[];
    /** Measurements of each command, idle and under load. */
    readonly rounds: number;
    /** Total request rate of the load, split evenly between GET and POST. */
    readonly rps: number;
    readonly publicPort: number;
    readonly log: (line: string) => void;
}

/** Seconds per measured command, by name, in the order they ran. */
export type Timings = Record<string, number[]>;

export interface SpeedResult {
    readonly machine: string;
    readonly date: string;
    readonly options: Omit<SpeedOptions, "log">;
    /** By engine; the empty program's rows are under "empty". */
    readonly idle: Record<string, Timings>;
    readonly loaded: Record<string, Timings>;
    /** Bytes each `npm run release` added to its stack's file backend (state, history, backups), by engine. */
    readonly stateBytesPerRelease: Record<string, number[]>;
    /** Requests sent and lost during the loaded measurements. */
    readonly load: { requests: number; failed: number; failedByKind: Record<string, number> };
}

/** Seconds `command` took; throws with its last lines when it fails. */
export function timed(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
    const started = process.hrtime.bigint();
    const result = childProcess.spawnSync(command, args, {
        cwd,
        env,
        encoding: "utf8",
        timeout: 1800000,
        // A 50-app stack's `pulumi up` prints megabytes.
        maxBuffer: 256 * 1024 * 1024,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) {
        const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-5).join("\n");
        throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${output}`);
    }
    return seconds;
}

/** Bytes of every file under `dir`. */
function treeBytes(dir: string): number {
    let total = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
        if (entry.isFile()) {
            total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
        }
    }
    return total;
}

export function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A project with no resources, on the same backend: what any `pulumi up` costs here. */
export function emptyProgram(t: { readonly env: NodeJS.ProcessEnv }): { dir: string; env: NodeJS.ProcessEnv } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-empty-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: empty\nruntime: nodejs\nmain: index.js\n");
    fs.writeFileSync(path.join(dir, "package.json"), '{ "name": "empty", "private": true }\n');
    fs.writeFileSync(path.join(dir, "index.js"), "// no resources\n");
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    const env = { ...process.env, ...t.env, PULUMI_STACK: "" };
    timed("pulumi", ["stack", "init", `empty${process.pid}`, "--non-interactive"], dir, env);
    return { dir, env: { ...env, PULUMI_STACK: `empty${process.pid}` } };
}

/** The stack's public port, from its config. */
function publicPort(t: TestStack): number {
    return Number(stackConfig(t.workDir, t.name)?.publicPort);
}

export async function runSpeedBench(options: SpeedOptions): Promise<SpeedResult> {
    const { log, ...settings } = options;
    const stacks: [EngineName, TestStack][] = [];
    for (const [i, engine] of options.engines.entries()) {
        const port = options.publicPort + 10 * i;
        stacks.push([engine, await createTestStack(`speed${i}`, { ...sampleConfig(port), engine })]);
    }
    const empty = emptyProgram(stacks[0][1]);
    const up = ["up", "--yes", "--non-interactive", "--stack"];
    const stateBytesPerRelease: Record<string, number[]> = {};
    /** One round: each command once per engine, interleaved so drift in the machine hits all alike. */
    const round = (into: Record<string, Timings>) => {
        const add = (group: string, name: string, seconds: number) => ((into[group] ??= {})[name] ??= []).push(seconds);
        for (const [engine, t] of stacks) {
            const env = { ...process.env, ...t.env, PULUMI_STACK: t.name };
            // A release puts an image on the idle colour that neither colour runs yet.
            const config = stackConfig(t.workDir, t.name) ?? {};
            const image = ["1", "2", "3"]
                .map((v) => `bluegreen-sample:${v}`)
                .find((i) => i !== config.blueImage && i !== config.greenImage)!;
            const stateDir = path.join(t.workDir, ".state");
            const before = treeBytes(stateDir);
            const port = publicPort(t);
            const release = timedToTraffic(port, () =>
                timed("npm", ["run", "--silent", "release", "--", image], t.workDir, env),
            );
            add(engine, "npm run release", release.seconds);
            add(engine, "npm run release: time to traffic", release.toTraffic ?? NaN);
            (stateBytesPerRelease[engine] ??= []).push(treeBytes(stateDir) - before);
            const rollback = timedToTraffic(port, () => timed("npm", ["run", "--silent", "rollback"], t.workDir, env));
            add(engine, "npm run rollback", rollback.seconds);
            add(engine, "npm run rollback: time to traffic", rollback.toTraffic ?? NaN);
            add(
                engine,
                "no-change pulumi up --skip-preview",
                timed("pulumi", [...up, t.name, "--skip-preview"], t.workDir, env),
            );
            add(engine, "no-change pulumi up", timed("pulumi", [...up, t.name], t.workDir, env));
            // The rollback's own `pulumi up`, as the helper runs it: one config change, no preview.
            const live = JSON.parse(
                childProcess.execFileSync("pulumi", ["stack", "output", "--json", "--stack", t.name], {
                    cwd: t.workDir,
                    env,
                    encoding: "utf8",
                }),
            ).liveColor as string;
            const other = live === "blue" ? "green" : "blue";
            add(
                engine,
                "rollback pulumi up --skip-preview",
                timed(
                    "pulumi",
                    [...up, t.name, "--skip-preview", "-c", `bluegreen:liveColor=${other}`],
                    t.workDir,
                    env,
                ),
            );
        }
        add(
            "empty",
            "empty program pulumi up --skip-preview",
            timed("pulumi", [...up, empty.env.PULUMI_STACK!, "--skip-preview"], empty.dir, empty.env),
        );
        add(
            "empty",
            "empty program pulumi up",
            timed("pulumi", [...up, empty.env.PULUMI_STACK!], empty.dir, empty.env),
        );
    };
    try {
        for (const [engine, t] of stacks) {
            log(`deploying the speed bench stack on ${engine}`);
            await t.stack.up();
        }
        timed("pulumi", [...up, empty.env.PULUMI_STACK!], empty.dir, empty.env);
        const idle: Record<string, Timings> = {};
        const loaded: Record<string, Timings> = {};
        for (let i = 0; i < options.rounds; i++) {
            log(`idle round ${i + 1}/${options.rounds}`);
            round(idle);
        }
        // The load is split over the stacks: each engine's proxy gets the same share.
        const perConnection = Math.max(1, Math.round(options.rps / 2 / 10 / stacks.length));
        const seconds = Math.ceil(options.rounds * 25 * stacks.length + 10);
        const load: Promise<LoadResult>[] = stacks.flatMap((_, i) =>
            (["GET", "POST"] as const).map((method) =>
                startLoad({
                    url: `http://127.0.0.1:${options.publicPort + 10 * i}/`,
                    seconds,
                    rpsPerConnection: perConnection,
                    connections: 10,
                    method,
                }),
            ),
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
        for (let i = 0; i < options.rounds; i++) {
            log(`round ${i + 1}/${options.rounds} under ${options.rps} rps`);
            round(loaded);
        }
        log("waiting for the load to end");
        const results = await Promise.all(load);
        const failedByKind: Record<string, number> = {};
        for (const l of results) {
            for (const [kind, n] of [...Object.entries(l.statuses), ...Object.entries(l.errors)]) {
                failedByKind[`${l.method} ${kind}`] = (failedByKind[`${l.method} ${kind}`] ?? 0) + n;
            }
        }
        return {
            machine: machine(),
            date: new Date().toISOString(),
            options: settings,
            idle,
            loaded,
            stateBytesPerRelease,
            load: {
                requests: results.reduce((a, l) => a + l.total, 0),
                failed: results.reduce((a, l) => a + l.failed, 0),
                failedByKind,
            },
        };
    } finally {
        for (const [, t] of stacks) {
            await t.cleanup();
        }
        childProcess.spawnSync("pulumi", ["destroy", "--yes", "--non-interactive"], { cwd: empty.dir, env: empty.env });
        childProcess.spawnSync("pulumi", ["stack", "rm", "--yes", "--non-interactive"], {
            cwd: empty.dir,
            env: empty.env,
        });
        fs.rmSync(empty.dir, { recursive: true, force: true });
    }
}

export function speedTable(result: SpeedResult): string {
    const engines = result.options.engines;
    const cell = (values: number[] | undefined) =>
        values && values.length ? `${median(values).toFixed(2)} (${values.map((v) => v.toFixed(2)).join(", ")})` : "-";
    const names = [...Object.keys(result.idle[engines[0]] ?? {}), ...Object.keys(result.idle.empty ?? {})];
    const group = (name: string, engine: string) => (name.startsWith("empty") ? "empty" : engine);
    const rows = names.map(
        (name) =>
            `| \`${name}\` | ${engines.map((e) => cell(result.idle[group(name, e)]?.[name])).join(" | ")} | ` +
            `${engines.map((e) => cell(result.loaded[group(name, e)]?.[name])).join(" | ")} |`,
    );
    const ratio = (timings: Timings) =>
        (
            median(timings["rollback pulumi up --skip-preview"]) / median(timings["no-change pulumi up --skip-preview"])
        ).toFixed(2);
    // Against the same run's empty program: the targets are ratios, so the machine's drift cancels.
    const empty = (into: Record<string, Timings>) => median(into.empty["empty program pulumi up --skip-preview"]);
    const toEmpty = (into: Record<string, Timings>, e: string, name: string) =>
        `${(median(into[e][name]) / empty(into)).toFixed(2)}x`;
    const kib = (values: number[]) => `${(median(values) / 1024).toFixed(1)} KiB`;
    const failedKinds = Object.entries(result.load.failedByKind)
        .map(([k, n]) => `${n} ${k}`)
        .join(", ");
    return [
        `| command | ${engines.map((e) => `${e} idle: median s (each run)`).join(" | ")} | ` +
            `${engines.map((e) => `${e} under load: median s (each run)`).join(" | ")} |`,
        `| --- | ${engines.map(() => "---").join(" | ")} | ${engines.map(() => "---").join(" | ")} |`,
        ...rows,
        "",
        `A rollback's \`pulumi up\` against a no-change one (both \`--skip-preview\`, as the helpers run it), ` +
            `ratio of the medians idle / under load: ` +
            engines.map((e) => `${e} ${ratio(result.idle[e])}x / ${ratio(result.loaded[e])}x`).join(", ") +
            ".",
        `Against the same run's empty program's \`pulumi up --skip-preview\`, idle / under load: ` +
            engines
                .map(
                    (e) =>
                        `${e} rollback ${toEmpty(result.idle, e, "npm run rollback")} / ` +
                        `${toEmpty(result.loaded, e, "npm run rollback")}, release ` +
                        `${toEmpty(result.idle, e, "npm run release")} / ${toEmpty(result.loaded, e, "npm run release")}`,
                )
                .join("; ") +
            ". Time to traffic: from the command's start to the first answer of the colour it moves to, on a fresh connection.",
        `State added to the file backend per \`npm run release\` (state, history, backups; median of ` +
            `${result.stateBytesPerRelease[engines[0]]?.length ?? 0}): ` +
            engines.map((e) => `${e} ${kib(result.stateBytesPerRelease[e] ?? [])}`).join(", ") +
            ".",
        `Load: ${result.options.rps} rps in total over ${engines.length} stacks (GET and POST, 10 keep-alive connections ` +
            `each, Debian's hey) during the loaded rounds: ${result.load.requests} requests, ${result.load.failed} failed` +
            `${failedKinds ? ` (${failedKinds})` : ""}.`,
        `Rounds: ${result.options.rounds}, each command once per round and engine, interleaved. Machine: ${result.machine}. ` +
            `Date: ${result.date}.`,
    ].join("\n");
}

async function main(): Promise<void> {
    const result = await runSpeedBench({
        engines: benchEngines(),
        rounds: envNumber("BENCH_SPEED_ROUNDS", 5),
        rps: envNumber("BENCH_RPS", 500),
        publicPort: envNumber("BENCH_SPEED_PORT", 19280),
        log: benchLog,
    });
    writeResults("speed", result, speedTable(result));
    if (result.load.failed > 0) {
        throw new Error(`${result.load.failed} requests failed during the loaded rounds`);
    }
}

if (require.main === module) {
    main().catch((err) => {
        console.error(`bench failed: ${(err as Error).message}`);
        process.exit(1);
    });
}
