// Stale stack locks of a local (file://) backend: a killed `pulumi up` leaves its lock behind.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Lock files of a local (file://) backend whose owning process is gone: left by a killed `pulumi up`. */
export function staleLocks(backend: string, stack: string): string[] {
    if (!backend.startsWith("file://")) {
        return [];
    }
    const lockRoot = path.join(backend.slice("file://".length), ".pulumi", "locks");
    const found: string[] = [];
    const walk = (dir: string): void => {
        for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.name.endsWith(".json") && path.basename(dir) === stack) {
                const lock = JSON.parse(fs.readFileSync(full, "utf8")) as { pid?: number; hostname?: string };
                if (lock.hostname === os.hostname() && lock.pid !== undefined && !processAlive(lock.pid)) {
                    found.push(full);
                }
            }
        }
    };
    walk(lockRoot);
    return found;
}

export function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** What the Node dynamic provider plugin runs; its last argument is the engine's address. */
const DYNAMIC_PROVIDER = "@pulumi/pulumi/cmd/dynamic-provider/index.js";

/** Whether something accepts TCP connections at `host:port` (within a second). */
function answers(address: string): Promise<boolean> {
    const net = require("net") as typeof import("net");
    const [host, port] = [
        address.slice(0, address.lastIndexOf(":")),
        Number(address.slice(address.lastIndexOf(":") + 1)),
    ];
    return new Promise((resolve) => {
        const socket = net.connect({ host, port, timeout: 1000 });
        const done = (ok: boolean) => {
            socket.destroy();
            resolve(ok);
        };
        socket.on("connect", () => done(true));
        socket.on("error", () => done(false));
        socket.on("timeout", () => done(false));
    });
}

/** The engine address a provider process was started with: the Node dynamic provider's, or a resource plugin's. */
export function providerEngineAddress(argv: string[]): string | undefined {
    const at = argv.findIndex((a) => a.endsWith(DYNAMIC_PROVIDER));
    if (at >= 0) {
        return argv[at + 1];
    }
    // A resource plugin binary (pulumi-resource-docker, -command) takes the address as its first argument.
    return /(^|\/)pulumi-resource-[\w-]+$/.test(argv[0] ?? "") ? argv[1] : undefined;
}

/** A process's network namespace (`net:[4026531840]`), or undefined when it cannot be read. */
function networkNamespace(pid: number | "self"): string | undefined {
    try {
        return fs.readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
        return undefined;
    }
}

/**
 * Provider processes (dynamic providers and resource plugins) whose engine is gone: a killed
 * `pulumi up` leaves them running (in process groups of their own), idle but holding memory.
 * Only this network namespace's: an engine address (127.0.0.1:port) means nothing in another
 * one (a test host's, a container's). Linux only (reads /proc).
 */
export async function orphanedProviders(): Promise<number[]> {
    const found: number[] = [];
    const here = networkNamespace("self");
    for (const entry of fs.existsSync("/proc") ? fs.readdirSync("/proc") : []) {
        const pid = Number(entry);
        if (!Number.isInteger(pid) || pid === process.pid) continue;
        if (here === undefined || networkNamespace(pid) !== here) continue;
        let argv: string[];
        try {
            argv = fs
                .readFileSync(`/proc/${pid}/cmdline`, "utf8")
                .split("\0")
                .filter((a) => a !== "");
        } catch {
            continue; // gone meanwhile, or not ours to read
        }
        const engine = providerEngineAddress(argv);
        if (engine !== undefined && /^[\w.-]+:\d+$/.test(engine) && !(await answers(engine))) {
            found.push(pid);
        }
    }
    return found;
}
