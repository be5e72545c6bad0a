// The one way this project runs a program and waits for it: exit code and output, never a throw for
// a non-zero exit. Providers, engines and the helpers all use it; only long-lived or streaming
// processes (the probe agent, an image pull's progress) spawn their own.
import * as childProcess from "child_process";
import { firstLine } from "../core/text";

export interface RunResult {
    /** The exit code; 127 when the program could not start, 124 when it was killed for taking too long. */
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
    /** Why there is no real exit code (could not start, timed out); undefined when it exited on its own. */
    readonly error?: string;
}

export interface RunOptions {
    /** Written to the program's standard input (a key travels here, never on the command line). */
    readonly input?: string;
    /** Kill the program after this long (default 120 s). */
    readonly timeoutMs?: number;
    /** The program's whole environment (default: this process's). */
    readonly env?: NodeJS.ProcessEnv;
    readonly cwd?: string;
    /** Let the program write to this process's terminal (the helpers' `pulumi up`); output is then not captured. */
    readonly inherit?: boolean;
}

const DEFAULT_TIMEOUT_MS = 120000;
const MAX_OUTPUT = 16 * 1024 * 1024;

/** Runs `file args`; resolves with its exit code and output. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.inherit) {
        return new Promise((resolve) => {
            const child = childProcess.spawn(file, args, { stdio: "inherit", env: options.env, cwd: options.cwd });
            const timer = setTimeout(() => child.kill("SIGTERM"), timeout);
            child.on("error", (err) => {
                clearTimeout(timer);
                resolve({ code: 127, stdout: "", stderr: "", error: err.message });
            });
            child.on("close", (code, signal) => {
                clearTimeout(timer);
                resolve({
                    code: code ?? 128,
                    stdout: "",
                    stderr: "",
                    ...(signal ? { error: `killed by ${signal}` } : {}),
                });
            });
        });
    }
    return new Promise((resolve) => {
        const child = childProcess.execFile(
            file,
            args,
            { timeout, maxBuffer: MAX_OUTPUT, encoding: "utf8", env: options.env, cwd: options.cwd },
            (error, stdout, stderr) => resolve(result(error, stdout, stderr, timeout)),
        );
        // A program that exits without reading its input (tail) closes the pipe: its exit code says
        // what happened, so the write's EPIPE is not an error of its own.
        child.stdin?.on("error", () => undefined);
        child.stdin?.end(options.input ?? "");
    });
}

/** The same, synchronously: for a program's constructors, which decide resources before any await. */
export function runSync(file: string, args: readonly string[], options: RunOptions = {}): RunResult {
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const done = childProcess.spawnSync(file, args, {
        encoding: "utf8",
        timeout,
        maxBuffer: MAX_OUTPUT,
        env: options.env,
        cwd: options.cwd,
        input: options.input,
        stdio: options.inherit ? "inherit" : "pipe",
    });
    if (done.error) {
        const timedOut = (done.error as NodeJS.ErrnoException).code === "ETIMEDOUT";
        return {
            code: timedOut ? 124 : 127,
            stdout: done.stdout ?? "",
            stderr: done.stderr ?? "",
            error: timedOut ? `timed out after ${timeout} ms` : done.error.message,
        };
    }
    return { code: done.status ?? 128, stdout: done.stdout ?? "", stderr: done.stderr ?? "" };
}

function result(
    error: childProcess.ExecFileException | null,
    stdout: string,
    stderr: string,
    timeout: number,
): RunResult {
    if (!error) {
        return { code: 0, stdout, stderr };
    }
    if (typeof error.code === "number") {
        return { code: error.code, stdout, stderr };
    }
    if (error.killed) {
        return { code: 124, stdout, stderr, error: `timed out after ${timeout} ms` };
    }
    return { code: 127, stdout, stderr, error: firstLine(error.message) };
}
