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
    /** The environment its commands run in: this process's, with the program's own file backend. */
    readonly env: NodeJS.ProcessEnv;
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
    return programFrom(example, stack, (dir, run) => {
        // The package as a user installs it: from its tarball, with its dependencies, no install scripts.
        run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", packTarball(dir)]);
    });
}

/** The per-machine cache's virtual environment with Pulumi's Python SDK (scripts/python.sh). */
const PYTHON_VENV = path.join(
    process.env.BLUEGREEN_CACHE ?? path.join(os.homedir(), ".cache/bluegreen"),
    "python/venv-pulumi-3.272.0",
);

/**
 * A copy of examples/<example> (another language's program) that adds this package with `pulumi
 * package add`, from a checkout with no build yet (as a git URL fetches it: the plugin builds
 * itself on its first start), and a new stack. A Python program gets a copy of the cache's virtual
 * environment as its `venv`, as a user makes their own.
 */
export function addPackageTo(example: string, stack: string): Consumer {
    return programFrom(example, stack, (dir, run) => {
        const checkout = unbuiltCheckout(path.join(dir, "bluegreen"));
        if (fs.existsSync(path.join(dir, "requirements.txt"))) {
            if (!fs.existsSync(path.join(PYTHON_VENV, "bin/python"))) {
                throw new Error(`no Python SDK at ${PYTHON_VENV}: run make setup`);
            }
            run("cp", ["-a", PYTHON_VENV, path.join(dir, "venv")]);
        }
        run("pulumi", ["package", "add", checkout]);
    });
}

/**
 * This checkout's working tree at `into` without bin/, with node_modules hard-linked from this
 * one's (what `npm ci` would make; `pulumi package add` runs `npm install` there, which finds it
 * up to date).
 */
function unbuiltCheckout(into: string): string {
    const skipped = /^(\.git|bin|node_modules|\.pulumi-state|examples\/[^/]+\/(node_modules|venv|sdks|bin))$/;
    fs.cpSync(REPO, into, {
        recursive: true,
        filter: (src) => !skipped.test(path.relative(REPO, src).split(path.sep).join("/")),
    });
    childProcess.execFileSync("cp", ["-al", path.join(REPO, "node_modules"), path.join(into, "node_modules")]);
    return into;
}

/** A copy of examples/<example>, made ready by `install`, with a stack in a file backend of its own. */
function programFrom(
    example: string,
    stack: string,
    install: (dir: string, run: (command: string, args: string[]) => string) => void,
): Consumer {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bluegreen-${example}-`));
    fs.cpSync(path.join(REPO, "examples", example), dir, {
        recursive: true,
        filter: (src) => !/(^|\/)(node_modules|bin|venv|sdks|\.pulumi-state)$/.test(src),
    });
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
    install(dir, run);
    run("pulumi", ["stack", "init", stack, "--non-interactive"]);
    return {
        dir,
        stack,
        env,
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

/**
 * The config of examples/yaml or examples/python on `port` (the others follow it as the examples'
 * defaults do: HTTPS +3, api's colours +1 and +2, web's +4 and +5), api on sample 1 and web on
 * sample 3, with the local nginx.
 */
export function languageExampleConfig(language: "yaml" | "python", port: number): Record<string, string> {
    const ports: Record<string, string> =
        language === "yaml"
            ? {
                  httpsPort: String(port + 3),
                  apiBluePort: String(port + 1),
                  apiGreenPort: String(port + 2),
                  webBluePort: String(port + 4),
                  webGreenPort: String(port + 5),
              }
            : {};
    return {
        publicPort: String(port),
        ...ports,
        proxyImage: "bluegreen-nginx:local",
        apiBlueImage: "bluegreen-sample:1",
        apiGreenImage: "bluegreen-sample:1",
        webBlueImage: "bluegreen-sample:3",
        webGreenImage: "bluegreen-sample:3",
    };
}
