// nginx's reload on a local engine, without its 100 ms of overlap. On SIGHUP the master starts new
// workers, sleeps 100 ms ("allow new processes to start") and only then tells the old workers to
// stop; meanwhile a fresh connection may land on either config. Once a new worker exists, the old
// ones are sent what the master sends them later (SIGQUIT: stop accepting, finish what is in
// flight, close idle keep-alive connections), so fresh connections reach only the new config at
// once. A connection arriving between the two waits in the listen queue, which the master keeps
// open. Where anything here cannot be read, nothing is sent and nginx's own timing stands.
import * as fs from "fs";
import { sleep } from "./probe";

/** The worker processes of the nginx master `masterPid` (this machine's PIDs), or [] when they cannot be read. */
export function workersOf(masterPid: number): number[] {
    try {
        return fs
            .readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, "utf8")
            .split(" ")
            .filter((pid) => pid !== "")
            .map(Number)
            .filter((pid) => commandLine(pid).startsWith("nginx: worker process"));
    } catch {
        return [];
    }
}

function commandLine(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
        return "";
    }
}

/** Whether `pid` no longer accepts connections: gone, or an nginx worker shutting down. */
function stopsAccepting(pid: number): boolean {
    const title = commandLine(pid);
    return title === "" || title.startsWith("nginx: worker process is shutting down");
}

/**
 * After a reload signal to `masterPid`: waits (at most `timeoutMs`) for a worker not among `old`,
 * then sends each old worker SIGQUIT and waits until each says it is shutting down. True when
 * every old worker stopped accepting; false when nothing was sent or not all did in time.
 */
export async function retireOldWorkers(masterPid: number, old: readonly number[], timeoutMs = 300): Promise<boolean> {
    if (old.length === 0) {
        return false;
    }
    const deadline = Date.now() + timeoutMs;
    while (!workersOf(masterPid).some((pid) => !old.includes(pid))) {
        if (Date.now() > deadline) {
            return false;
        }
        await sleep(2);
    }
    for (const pid of old) {
        // Still that master's worker: a PID is reused only after the master reaped it.
        if (workersOf(masterPid).includes(pid)) {
            try {
                process.kill(pid, "SIGQUIT");
            } catch {
                // gone meanwhile
            }
        }
    }
    while (!old.every(stopsAccepting)) {
        if (Date.now() > deadline) {
            return false;
        }
        await sleep(2);
    }
    return true;
}
