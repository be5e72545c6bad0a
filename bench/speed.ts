// `make bench`, release speed: wall time of the commands users run (`npm run release`, `npm run
// rollback`), a no-change `pulumi up` and an empty program's `pulumi up`, in one run on one
// machine, idle and under the swap bench's GET and POST keep-alive load. Medians; prints a table
// and writes bench/results/speed.{md,json}.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stackConfig } from "../scripts/stackFiles";
import { LoadResult, startLoad } from "../test/support/hey";
import { benchLog, envNumber, machine, writeResults } from "./report";
import { createTestStack, sampleConfig, TestStack } from "../test/support/stack";

const REPO = path.resolve(__dirname, "../..");

export interface SpeedOptions {
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
    readonly idle: Timings;
    readonly loaded: Timings;
    /** Requests sent and lost during the loaded measurements. */
    readonly load: { requests: number; failed: number; failedByKind: Record<string, number> };
}

function timed(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
    const started = process.hrtime.bigint();
    const result = childProcess.spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 300000 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) {
        const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-5).join("\n");
        throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${output}`);
    }
    return seconds;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A project with no resources, on the same backend: what any `pulumi up` costs here. */
function emptyProgram(t: TestStack): { dir: string; env: NodeJS.ProcessEnv } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-empty-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: empty\nruntime: nodejs\nmain: index.js\n");
    fs.writeFileSync(path.join(dir, "package.json"), '{ "name": "empty", "private": true }\n');
    fs.writeFileSync(path.join(dir, "index.js"), "// no resources\n");
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    const env = { ...process.env, ...t.env, PULUMI_STACK: "" };
    timed("pulumi", ["stack", "init", `empty${process.pid}`, "--non-interactive"], dir, env);
    return { dir, env: { ...env, PULUMI_STACK: `empty${process.pid}` } };
}

export async function runSpeedBench(options: SpeedOptions): Promise<SpeedResult> {
    const { log, ...settings } = options;
    const t = await createTestStack("speed", sampleConfig(options.publicPort));
    const env = { ...process.env, ...t.env, PULUMI_STACK: t.name };
    const empty = emptyProgram(t);
    const up = ["up", "--yes", "--non-interactive", "--stack"];
    /** One round: each command once, interleaved so drift in the machine hits all alike. */
    const round = (into: Timings) => {
        const add = (name: string, seconds: number) => (into[name] ??= []).push(seconds);
        // A release puts an image on the idle colour that neither colour runs yet.
        const config = stackConfig(t.workDir, t.name) ?? {};
        const image = ["1", "2", "3"]
            .map((v) => `bluegreen-sample:${v}`)
            .find((i) => i !== config.blueImage && i !== config.greenImage)!;
        add("npm run release", timed("npm", ["run", "--silent", "release", "--", image], t.workDir, env));
        add("npm run rollback", timed("npm", ["run", "--silent", "rollback"], t.workDir, env));
        add("no-change pulumi up --skip-preview", timed("pulumi", [...up, t.name, "--skip-preview"], t.workDir, env));
        add("no-change pulumi up", timed("pulumi", [...up, t.name], t.workDir, env));
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
            "rollback pulumi up --skip-preview",
            timed("pulumi", [...up, t.name, "--skip-preview", "-c", `bluegreen:liveColor=${other}`], t.workDir, env),
        );
        add(
            "empty program pulumi up --skip-preview",
            timed("pulumi", [...up, empty.env.PULUMI_STACK!, "--skip-preview"], empty.dir, empty.env),
        );
        add("empty program pulumi up", timed("pulumi", [...up, empty.env.PULUMI_STACK!], empty.dir, empty.env));
    };
    try {
        log("deploying the speed bench stack");
        await t.stack.up();
        timed("pulumi", [...up, empty.env.PULUMI_STACK!], empty.dir, empty.env);
        const idle: Timings = {};
        const loaded: Timings = {};
        for (let i = 0; i < options.rounds; i++) {
            log(`idle round ${i + 1}/${options.rounds}`);
            round(idle);
        }
        const perConnection = Math.max(1, Math.round(options.rps / 2 / 10));
        const url = `http://127.0.0.1:${options.publicPort}/`;
        const seconds = Math.ceil(options.rounds * 25 + 10);
        const load: Promise<LoadResult>[] = (["GET", "POST"] as const).map((method) =>
            startLoad({ url, seconds, rpsPerConnection: perConnection, connections: 10, method }),
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
            load: {
                requests: results.reduce((a, l) => a + l.total, 0),
                failed: results.reduce((a, l) => a + l.failed, 0),
                failedByKind,
            },
        };
    } finally {
        await t.cleanup();
        childProcess.spawnSync("pulumi", ["destroy", "--yes", "--non-interactive"], { cwd: empty.dir, env: empty.env });
        childProcess.spawnSync("pulumi", ["stack", "rm", "--yes", "--non-interactive"], {
            cwd: empty.dir,
            env: empty.env,
        });
        fs.rmSync(empty.dir, { recursive: true, force: true });
    }
}

export function speedTable(result: SpeedResult): string {
    const cell = (values: number[] | undefined) =>
        values && values.length ? `${median(values).toFixed(2)} (${values.map((v) => v.toFixed(2)).join(", ")})` : "-";
    const rows = Object.keys(result.idle).map(
        (name) => `| \`${name}\` | ${cell(result.idle[name])} | ${cell(result.loaded[name])} |`,
    );
    const ratio = (timings: Timings) =>
        (
            median(timings["rollback pulumi up --skip-preview"]) / median(timings["no-change pulumi up --skip-preview"])
        ).toFixed(2);
    // Both commands run back to back in each round, so drift in the machine hits both alike.
    const paired = (timings: Timings) => {
        const noChange = timings["no-change pulumi up --skip-preview"];
        return median(timings["rollback pulumi up --skip-preview"].map((s, i) => s / noChange[i])).toFixed(2);
    };
    const failedKinds = Object.entries(result.load.failedByKind)
        .map(([k, n]) => `${n} ${k}`)
        .join(", ");
    return [
        "| command | idle: median s (each run) | under load: median s (each run) |",
        "| --- | --- | --- |",
        ...rows,
        "",
        `A rollback's \`pulumi up\` against a no-change one (both \`--skip-preview\`, as the helpers run it): ` +
            `${ratio(result.idle)}x idle, ${ratio(result.loaded)}x under load (ratio of the medians); paired within ` +
            `each round, median ${paired(result.idle)}x idle, ${paired(result.loaded)}x under load.`,
        `Load: ${result.options.rps} rps in total (GET and POST, 10 keep-alive connections each, Debian's hey) ` +
            `during the loaded rounds: ${result.load.requests} requests, ${result.load.failed} failed` +
            `${failedKinds ? ` (${failedKinds})` : ""}.`,
        `Rounds: ${result.options.rounds}, each command once per round, interleaved. Machine: ${result.machine}. ` +
            `Date: ${result.date}.`,
    ].join("\n");
}

async function main(): Promise<void> {
    const result = await runSpeedBench({
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
