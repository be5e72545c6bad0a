// Runs the docker CLI. Using the CLI (not the socket) means DOCKER_HOST and docker contexts work,
// so the same program drives a remote engine. Dynamic providers capture these functions.
import * as childProcess from "child_process";
import { dockerEnv } from "./sshMux";

export interface RunResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export interface RunOptions {
    /** Written to the command's standard input. */
    readonly input?: string;
    /** Kill the command after this long (default 120 s). */
    readonly timeoutMs?: number;
    /** Added to this process's environment (e.g. another DOCKER_HOST). */
    readonly env?: Record<string, string>;
}

/** Runs `docker ARGS`; never throws for a non-zero exit (see `dockerOk`). */
export function docker(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = childProcess.execFile(
            "docker",
            args,
            {
                timeout: options.timeoutMs ?? 120000,
                maxBuffer: 16 * 1024 * 1024,
                encoding: "utf8",
                env: dockerEnv(options.env ? { ...process.env, ...options.env } : process.env),
            },
            (error, stdout, stderr) => {
                if (error && typeof error.code !== "number") {
                    // Could not run docker at all (missing binary, timeout): no exit code to report.
                    reject(new Error(`docker ${args[0]} failed to run: ${firstLine(error.message)}`));
                    return;
                }
                resolve({ code: error ? (error.code as unknown as number) : 0, stdout, stderr });
            },
        );
        if (options.input !== undefined) {
            // A command that exits without reading it closes the pipe: its exit code tells.
            child.stdin?.on("error", () => undefined);
            child.stdin?.end(options.input);
        }
    });
}

/** Runs `docker ARGS` and returns trimmed stdout; throws a one-line error on a non-zero exit. */
export async function dockerOk(args: string[], options: RunOptions = {}): Promise<string> {
    const result = await docker(args, options);
    if (result.code !== 0) {
        throw new Error(`docker ${args[0]} ${args[1] ?? ""} failed: ${lastLine(result.stderr || result.stdout)}`);
    }
    return result.stdout.trim();
}

export function firstLine(text: string): string {
    return (
        text
            .split("\n")
            .map((l) => l.trim())
            .find((l) => l.length > 0) ?? ""
    );
}

export function lastLine(text: string): string {
    const lines = text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.length > 0);
    return lines.length > 0 ? lines[lines.length - 1] : "(no output)";
}

/** Whether an error text means the object is already gone. */
export function isNotFound(text: string): boolean {
    return /no such (container|network|object)|not found/i.test(text);
}

/** IDs of a service's task containers on this node (running ones, or all); undefined when docker fails. */
export async function serviceContainers(service: string, which: "running" | "all"): Promise<string[] | undefined> {
    const state = which === "running" ? ["--filter", "status=running"] : ["--all"];
    const ids = await docker(["ps", "--quiet", ...state, "--filter", `label=com.docker.swarm.service.name=${service}`]);
    return ids.code === 0 ? ids.stdout.split("\n").filter(Boolean) : undefined;
}
