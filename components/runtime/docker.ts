// Runs the docker CLI. Using the CLI (not the socket) means DOCKER_HOST and docker contexts work,
// so the same program drives a remote engine. Dynamic providers capture these functions.
import { run, RunResult, runSync } from "./process";
import { lastLine } from "../core/text";
import { dockerEnv } from "./sshMux";

export interface DockerOptions {
    /** Written to the command's standard input. */
    readonly input?: string;
    /** Kill the command after this long (default 120 s). */
    readonly timeoutMs?: number;
    /** Added to this process's environment (e.g. another DOCKER_HOST). */
    readonly env?: Record<string, string>;
}

function envOf(options: DockerOptions): NodeJS.ProcessEnv {
    return dockerEnv(options.env ? { ...process.env, ...options.env } : process.env);
}

/** Runs `docker ARGS`; never throws for a non-zero exit (see `dockerOk`), only when docker cannot run at all. */
export async function docker(args: string[], options: DockerOptions = {}): Promise<RunResult> {
    const result = await run("docker", args, { ...options, env: envOf(options) });
    if (result.error !== undefined) {
        // Could not run docker at all (missing binary, timeout): no exit code to report.
        throw new Error(`docker ${args[0]} failed to run: ${result.error}`);
    }
    return result;
}

/** `docker ARGS` synchronously, for the program's constructors (engine facts, the docker context). */
export function dockerSync(args: string[], options: DockerOptions = {}): RunResult {
    return runSync("docker", args, { timeoutMs: 30000, ...options, env: envOf(options) });
}

/** Runs `docker ARGS` and returns trimmed stdout; throws a one-line error on a non-zero exit. */
export async function dockerOk(args: string[], options: DockerOptions = {}): Promise<string> {
    const result = await docker(args, options);
    if (result.code !== 0) {
        throw new Error(`docker ${args[0]} ${args[1] ?? ""} failed: ${lastLine(result.stderr || result.stdout)}`);
    }
    return result.stdout.trim();
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
