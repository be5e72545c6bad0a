// `make bench`, over SSH: `npm run release` and `npm run rollback` on this machine's engine and on
// the SSH test host (scripts/remote-harness.sh; DOCKER_HOST=ssh://…), per engine, in one run with
// the rounds interleaved. Idle medians, then one loaded round per stack (GET and POST keep-alive,
// generated where that stack's clients are: here, or inside the host's namespace) that must lose
// nothing. Prints a table and writes bench/results/remote.{md,json}.
import * as childProcess from "child_process";
import { EngineName } from "../components/core/engineRules";
import { stackConfig } from "../scripts/stackFiles";
import { LoadResult, startLoad } from "../test/support/hey";
import { remoteHost } from "../test/support/remote";
import { createTestStack, sampleConfig, TestStack } from "../test/support/stack";
import { timedToTraffic } from "./toTraffic";
import { benchEngines, benchLog, envNumber, machine, writeResults } from "./report";

type Where = "local" | "ssh";

interface Measured {
    readonly engine: EngineName;
    readonly where: Where;
    readonly release: number[];
    readonly rollback: number[];
    /** From each command's start to the first answer of the colour it moves traffic to. */
    readonly releaseToTraffic: number[];
    readonly rollbackToTraffic: number[];
    /** The loaded round: requests sent and failed. */
    readonly requests: number;
    readonly failed: number;
}

export interface RemoteResult {
    readonly machine: string;
    readonly date: string;
    readonly rounds: number;
    readonly sshHost: string;
    readonly results: Measured[];
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function timedCli(t: TestStack, ...args: string[]): number {
    const started = process.hrtime.bigint();
    const result = childProcess.spawnSync("npm", ["run", "--silent", ...args], {
        cwd: t.workDir,
        env: { ...process.env, ...t.env, PULUMI_STACK: t.name },
        encoding: "utf8",
        timeout: 300000,
    });
    if (result.status !== 0) {
        throw new Error(
            `npm run ${args.join(" ")} on ${t.name} exited ${result.status}: ${result.stdout}${result.stderr}`,
        );
    }
    return Number(process.hrtime.bigint() - started) / 1e9;
}

/** An image neither colour runs yet. */
function nextImage(t: TestStack): string {
    const config = stackConfig(t.workDir, t.name) ?? {};
    return ["1", "2", "3"]
        .map((v) => `bluegreen-sample:${v}`)
        .find((i) => i !== config.blueImage && i !== config.greenImage)!;
}

export async function runRemoteBench(options: {
    engines: readonly EngineName[];
    rounds: number;
    publicPort: number;
    log: (line: string) => void;
}): Promise<RemoteResult> {
    const host = remoteHost();
    const sshEnv = { DOCKER_HOST: process.env.DOCKER_HOST! };
    const stacks: (Omit<Measured, "requests" | "failed"> & { t: TestStack })[] = [];
    try {
        for (const [i, engine] of options.engines.entries()) {
            for (const where of ["local", "ssh"] as const) {
                const port = options.publicPort + 10 * stacks.length;
                // The local stack talks to this machine's engine: DOCKER_HOST emptied for it.
                const env = where === "ssh" ? sshEnv : { DOCKER_HOST: "" };
                const t = await createTestStack(`rbench${i}${where}`, { ...sampleConfig(port), engine }, env);
                stacks.push({
                    engine,
                    where,
                    t,
                    release: [],
                    rollback: [],
                    releaseToTraffic: [],
                    rollbackToTraffic: [],
                });
                options.log(`deploying the ${where} stack on ${engine}`);
                await t.stack.up();
            }
        }
        for (let round = 0; round < options.rounds; round++) {
            options.log(`idle round ${round + 1}/${options.rounds}`);
            for (const s of stacks) {
                // Watched where that stack's clients are: here, or inside the host's namespace.
                const port = Number((stackConfig(s.t.workDir, s.t.name) ?? {}).publicPort);
                const netns = s.where === "ssh" ? host.ns : undefined;
                const release = timedToTraffic(port, () => timedCli(s.t, "release", "--", nextImage(s.t)), netns);
                const rollback = timedToTraffic(port, () => timedCli(s.t, "rollback"), netns);
                s.release.push(release.seconds);
                s.releaseToTraffic.push(release.toTraffic ?? NaN);
                s.rollback.push(rollback.seconds);
                s.rollbackToTraffic.push(rollback.toTraffic ?? NaN);
            }
        }
        const results: Measured[] = [];
        for (const s of stacks) {
            options.log(`loaded release and rollback: ${s.where} on ${s.engine}`);
            const port = Number((stackConfig(s.t.workDir, s.t.name) ?? {}).publicPort);
            const load: Promise<LoadResult>[] = (["GET", "POST"] as const).map((method) =>
                startLoad({
                    url: `http://127.0.0.1:${port}/`,
                    seconds: 25,
                    rpsPerConnection: 25,
                    connections: 2,
                    method,
                    ...(s.where === "ssh" ? { netns: host.ns } : {}),
                }),
            );
            await new Promise((resolve) => setTimeout(resolve, 1000));
            timedCli(s.t, "release", "--", nextImage(s.t));
            timedCli(s.t, "rollback");
            const loads = await Promise.all(load);
            results.push({
                engine: s.engine,
                where: s.where,
                release: s.release,
                rollback: s.rollback,
                releaseToTraffic: s.releaseToTraffic,
                rollbackToTraffic: s.rollbackToTraffic,
                requests: loads.reduce((a, l) => a + l.total, 0),
                failed: loads.reduce((a, l) => a + l.failed, 0),
            });
        }
        return {
            machine: machine(),
            date: new Date().toISOString(),
            rounds: options.rounds,
            sshHost: sshEnv.DOCKER_HOST,
            results,
        };
    } finally {
        for (const s of stacks) {
            await s.t.cleanup().catch((err: Error) => options.log(`cleanup of ${s.t.name} failed: ${err.message}`));
        }
    }
}

export function remoteTable(result: RemoteResult): string {
    const cell = (values: number[]) => `${median(values).toFixed(2)} (${values.map((v) => v.toFixed(2)).join(", ")})`;
    const rows = result.results.map((r) => {
        const local = result.results.find((l) => l.engine === r.engine && l.where === "local")!;
        const delta = (key: "release" | "rollback" | "releaseToTraffic" | "rollbackToTraffic") =>
            r.where === "local" ? "" : ` (+${(median(r[key]) - median(local[key])).toFixed(2)})`;
        return (
            `| ${r.engine} | ${r.where === "local" ? "this machine" : "over SSH"} | ${cell(r.release)}${delta("release")} | ` +
            `${cell(r.rollback)}${delta("rollback")} | ${cell(r.rollbackToTraffic)}${delta("rollbackToTraffic")} | ` +
            `${cell(r.releaseToTraffic)}${delta("releaseToTraffic")} | ${r.failed} of ${r.requests} |`
        );
    });
    return [
        "| engine | engine at | `npm run release` idle: median s (each run) | `npm run rollback` idle: median s (each run) | " +
            "rollback: time to traffic | release: time to traffic | failed requests, loaded release + rollback |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        ...rows,
        "",
        `Over SSH: ${result.sshHost} (scripts/remote-harness.sh: a dockerd and an sshd in a network namespace on this ` +
            `machine), one shared connection per host (ControlMaster). In brackets: over SSH minus this machine. ` +
            `Rounds: ${result.rounds}, interleaved. Machine: ${result.machine}. Date: ${result.date}.`,
    ].join("\n");
}

async function main(): Promise<void> {
    const result = await runRemoteBench({
        engines: benchEngines(),
        rounds: envNumber("BENCH_REMOTE_ROUNDS", 5),
        publicPort: envNumber("BENCH_REMOTE_PORT", 19380),
        log: benchLog,
    });
    writeResults("remote", result, remoteTable(result));
    const failed = result.results.reduce((a, r) => a + r.failed, 0);
    if (failed > 0) {
        throw new Error(`${failed} requests failed during the loaded rounds`);
    }
}

if (require.main === module) {
    main().catch((err) => {
        console.error(`bench failed: ${(err as Error).message}`);
        process.exit(1);
    });
}
