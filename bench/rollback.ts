// `make bench`, automatic rollback: how long clients get a bad release's answers once it goes bad.
// On each engine, a stack with verification on releases `bluegreen-sample:failing` (healthy to its
// gate, then 500 for every answer) under keep-alive client load; the verification undoes the switch
// in the same `pulumi up`. From each client answer's time, colour and status: the time from the
// first 5xx to the first answer of the standby after the last 5xx, and the 5xx clients got.
// Prints a table and writes bench/results/rollback.{md,json}.
import * as childProcess from "child_process";
import * as http from "http";
import { EngineName } from "../components/core/engineRules";
import { benchEngines, benchLog, envNumber, machine, writeResults } from "./report";
import { percentile } from "./scenario";
import { createTestStack, sampleConfig, TestStack } from "../test/support/stack";

export interface RollbackOptions {
    readonly rounds: number;
    readonly verifySeconds: number;
    /** Client loops, each one keep-alive connection with a pause between requests. */
    readonly clients: number;
    readonly pauseMs: number;
    readonly publicPort: number;
    readonly log: (line: string) => void;
}

interface ClientAnswer {
    readonly at: number;
    readonly color: string;
    /** HTTP status, or 0 for a connection error. */
    readonly status: number;
}

export interface RollbackRound {
    /** From the first 5xx a client got to the first answer of the standby after the last 5xx. */
    readonly badToBackMs: number;
    readonly fivexx: number;
    readonly connectionErrors: number;
    readonly requests: number;
    readonly upSeconds: number;
    readonly message: string;
}

export interface RollbackResult {
    readonly machine: string;
    readonly date: string;
    readonly engine: EngineName;
    readonly options: Omit<RollbackOptions, "log">;
    readonly rounds: RollbackRound[];
}

/** Client loops against `url` until `stop` resolves (and at most 10 minutes, 1,000,000 answers). */
async function clientsUntil(url: string, options: RollbackOptions, stop: Promise<unknown>): Promise<ClientAnswer[]> {
    const answers: ClientAnswer[] = [];
    let done = false;
    void stop.finally(() => (done = true));
    const deadline = Date.now() + 600000;
    const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
    const once = () =>
        new Promise<ClientAnswer>((resolve) => {
            const req = http.get(url, { agent, timeout: 5000 }, (res) => {
                res.resume();
                res.on("end", () =>
                    resolve({ at: Date.now(), color: String(res.headers["x-color"]), status: res.statusCode ?? 0 }),
                );
            });
            req.on("timeout", () => req.destroy(new Error("timeout")));
            req.on("error", () => resolve({ at: Date.now(), color: "none", status: 0 }));
        });
    const loop = async () => {
        while (!done && Date.now() < deadline && answers.length < 1000000) {
            answers.push(await once());
            await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
        }
    };
    await Promise.all(Array.from({ length: options.clients }, loop));
    agent.destroy();
    return answers;
}

/** `pulumi up` in its own process (the client loops keep running meanwhile). */
function up(t: TestStack, changes: Record<string, string>): Promise<{ code: number; output: string; seconds: number }> {
    const args = ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", t.name];
    for (const [key, value] of Object.entries(changes)) {
        args.push("--config", `bluegreen:${key}=${value}`);
    }
    const started = Date.now();
    return new Promise((resolve) => {
        const child = childProcess.spawn("pulumi", args, { cwd: t.workDir, env: { ...process.env, ...t.env } });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("close", (code) => resolve({ code: code ?? 1, output, seconds: (Date.now() - started) / 1000 }));
    });
}

/** What clients saw of one bad release: throws when it was not rolled back or lost a connection. */
export function measureRound(
    answers: readonly ClientAnswer[],
    standby: string,
): Omit<RollbackRound, "upSeconds" | "message"> {
    const sorted = [...answers].sort((a, b) => a.at - b.at);
    const bad = sorted.filter((a) => a.status >= 500);
    if (bad.length === 0) {
        throw new Error("no client got a 5xx: the bad release never served");
    }
    const lastBad = bad[bad.length - 1].at;
    const back = sorted.find((a) => a.at > lastBad && a.color === standby && a.status >= 200 && a.status < 300);
    if (back === undefined) {
        throw new Error(`no answer from ${standby} after the last 5xx: traffic did not come back`);
    }
    return {
        badToBackMs: back.at - bad[0].at,
        fivexx: bad.length,
        connectionErrors: sorted.filter((a) => a.status === 0).length,
        requests: sorted.length,
    };
}

async function runRollbackBench(engine: EngineName, options: RollbackOptions): Promise<RollbackResult> {
    const t = await createTestStack("rollbackbench", {
        ...sampleConfig(options.publicPort),
        engine,
        verifySeconds: String(options.verifySeconds),
        minRequests: "20",
    });
    const rounds: RollbackRound[] = [];
    try {
        await t.stack.up();
        options.log(`${engine}: blue live; ${options.rounds} releases of bluegreen-sample:failing onto green`);
        for (let i = 0; i < options.rounds; i++) {
            // The first round replaces green's container (it goes bad a few seconds after it starts);
            // later ones switch to the same, already failing, container.
            let release: ReturnType<typeof up> | undefined;
            const started = new Promise<void>((resolve) => setTimeout(resolve, 1000));
            const clients = clientsUntil(
                `http://127.0.0.1:${options.publicPort}/`,
                options,
                started.then(async () => {
                    release = up(t, { greenImage: "bluegreen-sample:failing", liveColor: "green" });
                    await release;
                    await new Promise((resolve) => setTimeout(resolve, 1000));
                }),
            );
            const answers = await clients;
            const result = await release!;
            const message = /verification failed: [^\n]*/.exec(result.output)?.[0];
            if (result.code === 0 || message === undefined) {
                throw new Error(`round ${i + 1}: the bad release was not rolled back:\n${result.output}`);
            }
            const round = { ...measureRound(answers, "blue"), upSeconds: result.seconds, message };
            options.log(
                `  round ${i + 1}: first 5xx -> blue again in ${round.badToBackMs} ms, ${round.fivexx} 5xx of ` +
                    `${round.requests} answers, ${round.connectionErrors} connection errors, up ${result.seconds.toFixed(1)} s`,
            );
            rounds.push(round);
        }
        return {
            machine: machine(),
            date: new Date().toISOString(),
            engine,
            options: { ...options, log: undefined } as Omit<RollbackOptions, "log">,
            rounds,
        };
    } finally {
        await t.cleanup();
    }
}

export function rollbackTable(results: RollbackResult[]): string {
    const rows = results.map((r) => {
        const ms = r.rounds.map((x) => x.badToBackMs);
        const fivexx = r.rounds.map((x) => x.fivexx);
        const errors = r.rounds.reduce((n, x) => n + x.connectionErrors, 0);
        const ups = r.rounds.map((x) => x.upSeconds);
        return (
            `| ${r.engine} | ${r.rounds.length} | ${percentile(ms, 50)} / ${Math.max(...ms)} | ` +
            `${percentile(fivexx, 50)} / ${Math.max(...fivexx)} | ${errors} | ${percentile(ups, 50).toFixed(1)} s |`
        );
    });
    const first = results[0];
    return [
        "| engine | bad releases | first 5xx -> standby serves, median / max (ms) | 5xx clients got, median / max " +
            "| connection errors | pulumi up (median) |",
        "| --- | --- | --- | --- | --- | --- |",
        ...rows,
        "",
        `Each round: \`pulumi up\` switching to bluegreen-sample:failing with verifySeconds ${first.options.verifySeconds}, ` +
            `minRequests 20, maxErrorRate 0.01; the switch's verification reads nginx's answers log every 0.5 s ` +
            `and restores the previous config. Clients: ${first.options.clients} keep-alive loops, ` +
            `${first.options.pauseMs} ms between requests, timed on arrival. Machine: ${first.machine}. Date: ${first.date}.`,
        `Example: ${first.rounds[0]?.message ?? "-"}`,
    ].join("\n");
}

async function main(): Promise<void> {
    const results: RollbackResult[] = [];
    for (const engine of benchEngines()) {
        results.push(
            await runRollbackBench(engine, {
                rounds: envNumber("BENCH_ROLLBACKS", 5),
                verifySeconds: envNumber("BENCH_VERIFY_SECONDS", 30),
                clients: envNumber("BENCH_ROLLBACK_CLIENTS", 4),
                pauseMs: envNumber("BENCH_ROLLBACK_PAUSE_MS", 10),
                publicPort: envNumber("BENCH_PORT", 19080),
                log: benchLog,
            }),
        );
    }
    writeResults("rollback", results, rollbackTable(results));
}

if (require.main === module) {
    main().catch((err) => {
        console.error(`bench failed: ${(err as Error).message}`);
        process.exit(1);
    });
}
