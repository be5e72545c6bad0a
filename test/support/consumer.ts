// A program that is not this checkout: a copy of an example in a temporary directory, with this
// package installed from the tarball `npm pack` makes of the working tree's build, and a stack in a
// file backend of its own. What a user who installs bluegreen gets.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fileBackendEnv } from "./stack";

const REPO = path.resolve(__dirname, "../../..");

export interface Consumer {
    readonly dir: string;
    readonly stack: string;
    /** Runs a command in the program's directory with the stack's backend; throws with its output on failure. */
    run(command: string, args: string[], timeoutMs?: number): string;
    /** The same, returning the exit code and output whatever they are. */
    attempt(command: string, args: string[], timeoutMs?: number): { code: number; output: string };
    /** Sets the program's own config keys (without its project prefix). */
    setConfig(values: Record<string, string>): void;
    remove(): void;
}

/** The tarball of this package as the working tree builds it (bin/ must be built: make build). */
export function packTarball(into: string): string {
    const out = childProcess.execFileSync("npm", ["pack", "--silent", "--pack-destination", into], {
        cwd: REPO,
        encoding: "utf8",
    });
    return path.join(into, out.trim().split("\n").pop()!);
}

/** A copy of examples/<example> with the package installed from a fresh tarball, and a new stack. */
export function installExample(example: string, stack: string): Consumer {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bluegreen-${example}-`));
    fs.cpSync(path.join(REPO, "examples", example), dir, {
        recursive: true,
        filter: (src) => !/(^|\/)(node_modules|bin|\.pulumi-state)$/.test(src),
    });
    const tarball = packTarball(dir);
    const env = { ...process.env, ...fileBackendEnv(path.join(dir, ".state"), "consumer-test") };
    const attempt = (command: string, args: string[], timeoutMs = 600000) => {
        const result = childProcess.spawnSync(command, args, { cwd: dir, env, encoding: "utf8", timeout: timeoutMs });
        return { code: result.status ?? 1, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
    };
    const run = (command: string, args: string[], timeoutMs?: number) => {
        const result = attempt(command, args, timeoutMs);
        if (result.code !== 0) {
            throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${result.output.slice(-4000)}`);
        }
        return result.output;
    };
    // The package as a user installs it: from its tarball, with its dependencies, no install scripts.
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball]);
    run("pulumi", ["stack", "init", stack, "--non-interactive"]);
    return {
        dir,
        stack,
        run,
        attempt,
        setConfig(values) {
            for (const [key, value] of Object.entries(values)) {
                run("pulumi", ["config", "set", key, value, "--stack", stack]);
            }
        },
        remove() {
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
