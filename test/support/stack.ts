// A throwaway stack of this project for end-to-end tests: the real Pulumi CLI through the
// Automation API, a temporary file backend, and a work dir outside the repo.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { docker } from "../../components/runtime/docker";
import { TEST_ENGINE } from "./engine";

const REPO = path.resolve(__dirname, "../../..");

export interface TestStack {
    readonly stack: Stack;
    readonly name: string;
    readonly workDir: string;
    /** Environment for running the CLI against this stack from `workDir`. */
    readonly env: Record<string, string>;
    /** The workspace's environment, mutable: later commands see changes. */
    readonly workspaceEnv: Record<string, string>;
    /** Sets config keys (without the bluegreen: prefix). */
    setConfig(values: Record<string, string>): Promise<void>;
    /** Sets one config key as a secret, as `pulumi config set --secret` does. */
    setSecret(key: string, value: string): Promise<void>;
    /** Destroys the stack, then removes it and its files. */
    cleanup(): Promise<void>;
}

/** Config of a stack that runs the sample on both colours (blue live) on four ports from `publicPort`. */
export function sampleConfig(publicPort: number): Record<string, string> {
    return {
        liveColor: "blue",
        blueImage: "bluegreen-sample:1",
        greenImage: "bluegreen-sample:1",
        proxyImage: "bluegreen-nginx:local",
        publicPort: String(publicPort),
        bluePort: String(publicPort + 1),
        greenPort: String(publicPort + 2),
        httpsPort: String(publicPort + 3),
    };
}

/** The environment of a Pulumi CLI with its own file backend in `stateDir` (made here), offline. */
export function fileBackendEnv(stateDir: string, passphrase: string): Record<string, string> {
    fs.mkdirSync(stateDir, { recursive: true });
    return {
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // As scripts/env.sh sets it: history/ keeps every checkpoint already.
        PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS: "true",
    };
}

/** The config keys that publish a port on the engine's machine. */
const PORT_KEYS = ["publicPort", "bluePort", "greenPort", "httpsPort"];

/**
 * Fails in one line when a container already publishes one of the stack's ports (typically one a
 * killed run left behind, restarted with the engine): otherwise the first `pulumi up` fails deep in
 * Docker's "port is already allocated".
 */
async function assertPortsFree(config: Record<string, string>, env: Record<string, string>): Promise<void> {
    for (const key of PORT_KEYS) {
        const port = config[key];
        if (port === undefined) continue;
        const holders = await docker(["ps", "--filter", `publish=${port}`, "--format", "{{.Names}}"], { env });
        const names = holders.stdout.split("\n").filter(Boolean);
        if (names.length > 0) {
            throw new Error(
                `${key} ${port} is already published by container ${names.join(", ")} ` +
                    `(left by an earlier run?); remove it first: docker rm -f ${names.join(" ")}`,
            );
        }
    }
}

/**
 * A new stack of this project; `extraEnv` (e.g. another DOCKER_HOST) goes to every CLI run of it,
 * so one process can drive stacks on different engines.
 */
export async function createTestStack(
    prefix: string,
    config: Record<string, string>,
    extraEnv: Record<string, string> = {},
): Promise<TestStack> {
    const name = `${prefix}${process.pid}`;
    await assertPortsFree(config, extraEnv);
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `bluegreen-${prefix}-`));
    fs.copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(workDir, "Pulumi.yaml"));
    fs.copyFileSync(path.join(REPO, "package.json"), path.join(workDir, "package.json"));
    fs.symlinkSync(path.join(REPO, "bin"), path.join(workDir, "bin"));
    fs.symlinkSync(path.join(REPO, "scripts"), path.join(workDir, "scripts"));
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(workDir, "node_modules"));
    const env = { ...fileBackendEnv(path.join(workDir, ".state"), "e2e-test"), ...extraEnv };
    const workspace = await LocalWorkspace.create({ workDir, envVars: { ...env } });
    const stack = await Stack.create(name, workspace);
    const setConfig = async (values: Record<string, string>) => {
        const entries = Object.entries(values).map(([k, v]) => [`bluegreen:${k}`, { value: v }]);
        await stack.setAllConfig(Object.fromEntries(entries));
    };
    // The engine under test (test/support/engine.ts), unless the test chooses one itself.
    await setConfig({ engine: TEST_ENGINE, ...config });
    return {
        stack,
        name,
        workDir,
        env,
        workspaceEnv: workspace.envVars,
        setConfig,
        async setSecret(key: string, value: string) {
            await stack.setConfig(`bluegreen:${key}`, { value, secret: true });
        },
        async cleanup() {
            try {
                await stack.destroy();
                await workspace.removeStack(name);
            } finally {
                // Never leave containers (or, on a swarm, services) behind, even when destroy failed.
                for (const role of ["acme", "proxy", "blue", "green"]) {
                    await docker(["rm", "-f", `${name}-${role}`], { env: extraEnv });
                }
                // The apps of `apps`: <stack>-<app>-blue, -green.
                const apps = await docker(["ps", "-aq", "--filter", `name=^${name}-`], { env: extraEnv });
                const left = apps.stdout.split("\n").filter(Boolean);
                if (left.length > 0) await docker(["rm", "-f", ...left], { env: extraEnv });
                // The ACME agent's state outlives a destroy on purpose; a test's must not.
                await docker(["volume", "rm", "-f", `${name}-acme`], { env: extraEnv });
                if (config.orchestrator === "swarm") {
                    await docker(["service", "rm", `${name}-proxy`, `${name}-blue`, `${name}-green`], {
                        env: extraEnv,
                    });
                    await docker(["volume", "rm", "-f", `${name}-proxy-files`], { env: extraEnv });
                }
                await docker(["network", "rm", `${name}-net`], { env: extraEnv });
                fs.rmSync(workDir, { recursive: true, force: true });
            }
        },
    };
}

/** A helper run in the background, in a process group of its own (so a SIGKILL takes its pulumi too). */
export function startCli(t: TestStack, ...args: string[]) {
    const child = childProcess.spawn("node", [path.join(REPO, "bin/scripts/cli.js"), ...args], {
        cwd: t.workDir,
        env: { ...process.env, ...t.env, PULUMI_STACK: t.name },
        detached: true,
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const done = new Promise<{ code: number; output: string }>((resolve) =>
        child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output })),
    );
    return { child, done, output: () => output };
}

/** Runs scripts/cli.js against a test stack, as `npm run <command>` would. */
export function runCli(t: TestStack, ...args: string[]): { code: number; output: string } {
    const result = childProcess.spawnSync("node", [path.join(REPO, "bin/scripts/cli.js"), ...args], {
        cwd: t.workDir,
        env: { ...process.env, ...t.env, PULUMI_STACK: t.name },
        encoding: "utf8",
        timeout: 180000,
    });
    return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

/** Sets keys of one app of `apps` (`apps.<app>.<key>`, paths like `hosts[0]` too), as `pulumi config set --path`. */
export function setAppConfig(t: TestStack, app: string, values: Record<string, string>): void {
    for (const [key, value] of Object.entries(values)) {
        const result = runPulumi(t, "config", "set", "--path", `bluegreen:apps.${app}.${key}`, value);
        if (result.code !== 0) {
            throw new Error(`pulumi config set --path apps.${app}.${key} failed: ${result.output}`);
        }
    }
}

/**
 * Adds the app `app` to `apps`: live on blue, both colours on `image`, preview ports `firstPort`
 * and the next, and `extra` keys (paths like `hosts[0]`).
 */
export function addApp(
    t: TestStack,
    app: string,
    image: string,
    firstPort: number,
    extra: Record<string, string> = {},
): void {
    setAppConfig(t, app, {
        liveColor: "blue",
        blueImage: image,
        greenImage: image,
        bluePort: String(firstPort),
        greenPort: String(firstPort + 1),
        ...extra,
    });
}

/** Runs the pulumi CLI itself against a test stack (for output the Automation API does not give). */
export function runPulumi(t: TestStack, ...args: string[]): { code: number; output: string } {
    const result = childProcess.spawnSync("pulumi", [...args, "--stack", t.name, "--non-interactive"], {
        cwd: t.workDir,
        env: { ...process.env, ...t.env },
        encoding: "utf8",
        timeout: 180000,
    });
    return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}
