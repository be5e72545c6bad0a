// Stack locks a killed `pulumi up` leaves behind, in any backend (scripts/backends/stackLocks.ts),
// and the provider processes it leaves running.
import * as fs from "fs";
import * as os from "os";
import { StackLock, stackLocks } from "./backends/stackLocks";
import { projectName } from "./stackFiles";

/** Whether the process holding `lock` is provably gone: it ran on this machine and no longer runs. */
export function isStale(lock: StackLock): boolean {
    return lock.hostname === os.hostname() && lock.pid !== undefined && !processAlive(lock.pid);
}

/** Who took `lock`, in words: `pid 4242 of ci on runner-7 since 2026-12-07T22:59:01Z`. */
export function describeLock(lock: StackLock): string {
    const who = lock.username ? ` of ${lock.username}` : "";
    return `pid ${lock.pid ?? "?"}${who} on ${lock.hostname ?? "an unknown host"} since ${lock.since ?? "an unknown time"}`;
}

/** The locks on the stack of the program in the working directory, in PULUMI_BACKEND_URL's backend. */
export function currentLocks(stack: string): Promise<StackLock[]> {
    return stackLocks(process.env.PULUMI_BACKEND_URL ?? "", projectName(process.cwd()), stack);
}

/** Who holds the stack's lock (a running `pulumi up`, here or elsewhere, or a killed one), in words; undefined when nobody. */
export async function lockHolder(stack: string): Promise<string | undefined> {
    const [held] = await currentLocks(stack);
    return (
        held && (isStale(held) ? `${describeLock(held)}, which is gone: npm run recover clears it` : describeLock(held))
    );
}

/** The one line for an update refused by the stack's lock: who holds it, since when, and what to do; undefined when unlocked. */
export async function lockedMessage(stack: string): Promise<string | undefined> {
    const [held] = await currentLocks(stack);
    if (held === undefined) {
        return undefined;
    }
    const next = isStale(held)
        ? "that process is gone: npm run recover removes its lock"
        : "wait for it to end, then npm run status";
    return `the stack ${stack} is locked by another pulumi update (${describeLock(held)}; ${held.where}); nothing changed: ${next}`;
}

export function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    // A killed process nobody has reaped yet (a zombie: in a container whose pid 1 reaps nothing, a
    // SIGKILLed pulumi stays one) is gone all the same.
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
        return true; // no /proc to tell (not Linux): the signal said it exists
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
    // A resource plugin binary (pulumi-resource-docker, -command) or a language host
    // (pulumi-language-nodejs, -yaml) takes the address as its first argument.
    return /(^|\/)pulumi-(resource|language)-[\w-]+$/.test(argv[0] ?? "") ? argv[1] : undefined;
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
 * Plugin processes (dynamic providers, resource plugins, language hosts) whose engine is gone: a
 * killed `pulumi up` leaves them running (in process groups of their own), idle but holding memory.
 * Only this network namespace's: an engine address (127.0.0.1:port) means nothing in another
 * one (a test host's, a container's). Linux only (reads /proc).
 */
export async function orphanedPlugins(): Promise<number[]> {
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
