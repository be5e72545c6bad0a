// Dynamic provider: runs the user's smoke test against the colour about to go live.
import * as childProcess from "child_process";
import * as net from "net";
import * as pulumi from "../sdk";
import type { SshTarget } from "../core/site";
import { ModuleDynamicResource } from "./dynamicResource";
import { lastLine } from "../core/text";
import { run } from "../runtime/process";

export interface SmokeTestInputs {
    /** Shell command; TARGET_URL and TARGET_COLOR are set for it. */
    readonly command: string;
    readonly color: string;
    readonly targetUrl: string;
    /** The target's container: a replacement makes the test run again. */
    readonly containerId: string;
    /** Kill the command after this long (default 300). */
    readonly timeoutSeconds?: number;
    /**
     * On an ssh:// engine: `targetUrl` is the server's loopback, so the command gets TARGET_URL on an
     * ssh tunnel from this machine to `remotePort` there, open while it runs.
     */
    readonly tunnel?: SshTarget & { readonly remotePort: number };
}

/** A free port on this machine's loopback (the kernel's pick). */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

function accepts(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ port, host: "127.0.0.1" });
        socket.once("connect", () => (socket.destroy(), resolve(true)));
        socket.once("error", () => resolve(false));
    });
}

/** Opens `ssh -L` to the tunnel's remote port; resolves with the local URL and a close function. */
async function openTunnel(tunnel: NonNullable<SmokeTestInputs["tunnel"]>): Promise<{ url: string; close(): void }> {
    const port = await freePort();
    const ssh = childProcess.spawn(
        "ssh",
        [
            "-N",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ControlPath=none",
            "-L",
            `127.0.0.1:${port}:127.0.0.1:${tunnel.remotePort}`,
            ...(tunnel.port ? ["-p", String(tunnel.port)] : []),
            "--",
            tunnel.destination,
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    ssh.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 15000;
    while (!(await accepts(port))) {
        if (ssh.exitCode !== null || Date.now() > deadline) {
            ssh.kill("SIGKILL");
            throw new Error(
                `could not open an ssh tunnel to port ${tunnel.remotePort} on ${tunnel.destination}: ` +
                    `${lastLine(stderr) === "(no output)" ? "timed out after 15 s" : lastLine(stderr)}`,
            );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { url: `http://127.0.0.1:${port}`, close: () => ssh.kill("SIGTERM") };
}

/**
 * Runs the command (through an ssh tunnel when the inputs name one); resolves on exit 0, otherwise
 * fails with one line and the command's last words.
 */
export async function runSmokeTest(inputs: SmokeTestInputs): Promise<void> {
    const tunnel = inputs.tunnel ? await openTunnel(inputs.tunnel) : undefined;
    try {
        await runCommand(inputs, tunnel?.url ?? inputs.targetUrl);
    } finally {
        tunnel?.close();
    }
}

async function runCommand(inputs: SmokeTestInputs, targetUrl: string): Promise<void> {
    const where = targetUrl === inputs.targetUrl ? targetUrl : `${inputs.targetUrl} there, tunnelled to ${targetUrl}`;
    const result = await run("sh", ["-c", inputs.command], {
        env: { ...process.env, TARGET_URL: targetUrl, TARGET_COLOR: inputs.color },
        timeoutMs: (inputs.timeoutSeconds ?? 300) * 1000,
    });
    if (result.code === 0 && result.error === undefined) {
        return;
    }
    const how = result.error === undefined ? `exited ${result.code}` : `failed (${result.error})`;
    throw new Error(
        `smoke test against ${inputs.color} (${where}) ${how}: ` +
            `${lastLine(result.stderr || result.stdout)}; traffic was not moved to ${inputs.color}`,
    );
}

const KEYS: (keyof SmokeTestInputs)[] = ["command", "color", "targetUrl", "containerId", "tunnel"];

export const smokeTestProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: SmokeTestInputs, news: SmokeTestInputs) {
        const changed = KEYS.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes: changed, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: SmokeTestInputs) {
        await runSmokeTest(inputs);
        return { id: "smoke-test", outs: { ...inputs, passedAt: new Date().toISOString() } };
    },
    async update(_id: string, _olds: SmokeTestInputs, news: SmokeTestInputs) {
        await runSmokeTest(news);
        return { outs: { ...news, passedAt: new Date().toISOString() } };
    },
};

/** Gates the switch on the user's own check of the colour about to go live. */
export class SmokeTest extends ModuleDynamicResource {
    constructor(
        name: string,
        args: { readonly [K in keyof SmokeTestInputs]: pulumi.Input<SmokeTestInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super({ module: __filename, exportName: "smokeTestProvider" }, name, { ...args, passedAt: undefined }, opts);
    }
}
