// `make bench`, state backends: `npm run release` and `npm run rollback` with the stack's state in
// the file backend, in PostgreSQL and in an S3-compatible bucket (versitygw), servers on loopback,
// side by side in one run (rounds interleaved), each beside an empty program's `pulumi up` on the
// same backend; and the state each release adds to the backend. Medians; writes
// bench/results/backends.{md,json}.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stackConfig } from "../scripts/stackFiles";
import { StateServer, startPostgres, startS3 } from "../test/support/stateServers";
import { createTestStack, sampleConfig, TestStack } from "../test/support/stack";
import { benchLog, envNumber, machine, writeResults } from "./report";
import { emptyProgram, median, timed } from "./speed";

type Backend = "file" | "postgres" | "s3";

interface BackendsResult {
    readonly machine: string;
    readonly date: string;
    readonly rounds: number;
    /** Seconds, by backend and command. */
    readonly seconds: Record<Backend, Record<string, number[]>>;
    /** Bytes each release added to the backend, by backend. */
    readonly stateBytesPerRelease: Record<Backend, number[]>;
}

/** Bytes of every file under `dir` (the file backend's directory). */
function treeBytes(dir: string): number {
    return fs
        .readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile())
        .reduce((total, e) => total + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
}

async function runBackendsBench(
    rounds: number,
    firstPort: number,
    log: (line: string) => void,
): Promise<BackendsResult> {
    const servers: Partial<Record<Backend, StateServer>> = {};
    const stacks: [Backend, TestStack][] = [];
    const empties: Partial<Record<Backend, ReturnType<typeof emptyProgram>>> = {};
    try {
        servers.postgres = await startPostgres(firstPort + 60);
        servers.s3 = await startS3(firstPort + 70);
        for (const [i, backend] of (["file", "postgres", "s3"] as const).entries()) {
            const env = servers[backend]?.env ?? {};
            const t = await createTestStack(`bk${i}`, sampleConfig(firstPort + 10 * i), env);
            stacks.push([backend, t]);
            log(`deploying the ${backend} stack`);
            await t.stack.up();
            empties[backend] = emptyProgram(t);
        }
        const seconds = { file: {}, postgres: {}, s3: {} } as BackendsResult["seconds"];
        const stateBytesPerRelease: BackendsResult["stateBytesPerRelease"] = { file: [], postgres: [], s3: [] };
        const bytes = (backend: Backend, t: TestStack) =>
            servers[backend]?.stateBytes() ?? treeBytes(path.join(t.workDir, ".state"));
        for (let round = 0; round < rounds; round++) {
            log(`round ${round + 1}/${rounds}`);
            for (const [backend, t] of stacks) {
                const add = (name: string, s: number) => (seconds[backend][name] ??= []).push(s);
                const env = { ...process.env, ...t.env, PULUMI_STACK: t.name };
                const config = stackConfig(t.workDir, t.name) ?? {};
                const image = ["1", "2", "3"]
                    .map((v) => `bluegreen-sample:${v}`)
                    .find((i) => i !== config.blueImage && i !== config.greenImage)!;
                const before = bytes(backend, t);
                add("npm run release", timed("npm", ["run", "--silent", "release", "--", image], t.workDir, env));
                stateBytesPerRelease[backend].push(bytes(backend, t) - before);
                add("npm run rollback", timed("npm", ["run", "--silent", "rollback"], t.workDir, env));
                const empty = empties[backend]!;
                add(
                    "empty program pulumi up --skip-preview",
                    timed(
                        "pulumi",
                        ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", empty.env.PULUMI_STACK!],
                        empty.dir,
                        empty.env,
                    ),
                );
            }
        }
        return { machine: machine(), date: new Date().toISOString(), rounds, seconds, stateBytesPerRelease };
    } finally {
        for (const [backend, t] of stacks) {
            await t.cleanup().catch((err: Error) => log(`cleanup of the ${backend} stack: ${err.message}`));
            const empty = empties[backend];
            if (empty) {
                childProcess.spawnSync("pulumi", ["stack", "rm", "--yes", "--force", "--non-interactive"], {
                    cwd: empty.dir,
                    env: empty.env,
                });
                fs.rmSync(empty.dir, { recursive: true, force: true });
            }
        }
        servers.postgres?.stop();
        servers.s3?.stop();
    }
}

function backendsTable(result: BackendsResult): string {
    const backends: Backend[] = ["file", "postgres", "s3"];
    const cell = (values: number[]) => `${median(values).toFixed(2)} (${values.map((v) => v.toFixed(2)).join(", ")})`;
    const names = Object.keys(result.seconds.file);
    const ratio = (b: Backend, name: string, to: number) => (median(result.seconds[b][name]) / to).toFixed(2);
    const rows = names.map(
        (name) => `| \`${name}\` | ${backends.map((b) => cell(result.seconds[b][name])).join(" | ")} |`,
    );
    const versus = (name: string) =>
        backends
            .filter((b) => b !== "file")
            .map((b) => `${b} ${ratio(b, name, median(result.seconds.file[name]))}x`)
            .join(", ");
    const toEmpty = (b: Backend, name: string) =>
        `${ratio(b, name, median(result.seconds[b]["empty program pulumi up --skip-preview"]))}x`;
    return [
        `| command | ${backends.map((b) => `${b}: median s (each run)`).join(" | ")} |`,
        `| --- | ${backends.map(() => "---").join(" | ")} |`,
        ...rows,
        "",
        `Against the file backend, same run (medians): release ${versus("npm run release")}; ` +
            `rollback ${versus("npm run rollback")}; an empty program's up ${versus("empty program pulumi up --skip-preview")}.`,
        `Against the same backend's empty program's \`pulumi up --skip-preview\`: ` +
            backends
                .map((b) => `${b} release ${toEmpty(b, "npm run release")}, rollback ${toEmpty(b, "npm run rollback")}`)
                .join("; ") +
            ".",
        `State each \`npm run release\` adds (median of ${result.rounds}): ` +
            backends.map((b) => `${b} ${(median(result.stateBytesPerRelease[b]) / 1024).toFixed(1)} KiB`).join(", ") +
            ` (file: the files under the state directory; postgres: the size of the table's rows; s3: the bucket's files).`,
        `Rounds: ${result.rounds}, each command once per round and backend, interleaved; docker-provider; ` +
            `servers on loopback. Machine: ${result.machine}. Date: ${result.date}.`,
    ].join("\n");
}

async function main(): Promise<void> {
    const result = await runBackendsBench(
        envNumber("BENCH_BACKEND_ROUNDS", 5),
        envNumber("BENCH_BACKEND_PORT", 20580),
        benchLog,
    );
    writeResults("backends", result, backendsTable(result));
}

if (require.main === module) {
    main().catch((err) => {
        console.error(`bench failed: ${(err as Error).message}`);
        process.exit(1);
    });
}
