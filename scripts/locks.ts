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
