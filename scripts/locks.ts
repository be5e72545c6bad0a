// Stale stack locks of a local (file://) backend: a killed `pulumi up` leaves its lock behind.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A lock file of a local (file://) backend: its path and the process that holds it. */
interface LockFile {
    readonly file: string;
    readonly pid?: number;
    readonly hostname?: string;
}

/** The lock files of `stack` in a local (file://) backend (none for other backends). */
function lockFiles(backend: string, stack: string): LockFile[] {
    if (!backend.startsWith("file://")) {
        return [];
    }
    const lockRoot = path.join(backend.slice("file://".length).replace(/\?.*$/, ""), ".pulumi", "locks");
    const found: LockFile[] = [];
    const walk = (dir: string): void => {
        for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.name.endsWith(".json") && path.basename(dir) === stack) {
                const lock = JSON.parse(fs.readFileSync(full, "utf8")) as { pid?: number; hostname?: string };
                found.push({ file: full, pid: lock.pid, hostname: lock.hostname });
            }
        }
    };
    walk(lockRoot);
    return found;
}

/** Whether the process holding `lock` is gone (it ran on this machine). */
function isStale(lock: LockFile): boolean {
    return lock.hostname === os.hostname() && lock.pid !== undefined && !processAlive(lock.pid);
}

/** Lock files of a local (file://) backend whose owning process is gone: left by a killed `pulumi up`. */
export function staleLocks(backend: string, stack: string): string[] {
    return lockFiles(backend, stack)
        .filter(isStale)
        .map((lock) => lock.file);
}

/** Who holds the stack's lock (a running `pulumi up`, here or elsewhere, or a killed one), in words; undefined when nobody. */
export function lockHolder(backend: string, stack: string): string | undefined {
    const [held] = lockFiles(backend, stack);
    const who = held && `pid ${held.pid ?? "?"} on ${held.hostname ?? "an unknown host"}`;
    return held && (isStale(held) ? `${who}, which is gone: npm run recover clears it` : who);
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
