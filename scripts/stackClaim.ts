// One traffic-first flip at a time per stack: a rollback moves nginx before its `pulumi up` takes
// Pulumi's lock, so two rollbacks (or a rollback and an abort) started together would both move
// it. The first to create the claim file wins; it is held until its update ends, and a claim
// whose process is gone (SIGKILL) is taken over.
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { processAlive } from "./locks";

/** Claims the stack (of `backend`) for this process; returns the release. Throws in one line when another process holds it. */
export function claimStack(backend: string, stack: string, command: string): () => void {
    const file = claimFile(backend, stack);
    for (let attempt = 0; attempt < 2; attempt++) {
        try {
            fs.writeFileSync(file, JSON.stringify({ pid: process.pid, command }), { flag: "wx" });
            return () => fs.rmSync(file, { force: true });
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
                throw err;
            }
        }
        const holder = readClaim(file);
        // Unreadable for a moment while its writer is between creating and writing it.
        if ((holder !== undefined && processAlive(holder.pid)) || (holder === undefined && ageMs(file) < 2000)) {
            const who = holder ? `npm run ${holder.command} (pid ${holder.pid})` : "another helper";
            throw new Error(
                `${command} refused: ${who} is moving traffic of the stack ${stack}; nothing moved: ` +
                    `wait for it, then npm run status`,
            );
        }
        fs.rmSync(file, { force: true }); // its process is gone
    }
    throw new Error(`${command} refused: could not claim the stack ${stack} (${file}); nothing moved`);
}

/**
 * Removes the stack's claim when the helper that made it is gone (a SIGKILL): `npm run recover`
 * leaves nothing behind. Returns what was removed, for its message.
 */
export function clearStaleClaim(backend: string, stack: string): string | undefined {
    const file = claimFile(backend, stack);
    const holder = readClaim(file);
    if (holder === undefined || processAlive(holder.pid)) {
        return undefined;
    }
    fs.rmSync(file, { force: true });
    return `npm run ${holder.command} (pid ${holder.pid})`;
}

/** The stack's claim file: one per backend and stack, in the temp directory. */
function claimFile(backend: string, stack: string): string {
    const key = createHash("sha1").update(`${backend}\n${stack}`).digest("hex").slice(0, 16);
    return path.join(os.tmpdir(), `bluegreen-claim-${key}.json`);
}

function ageMs(file: string): number {
    try {
        return Date.now() - fs.statSync(file).mtimeMs;
    } catch {
        return Infinity;
    }
}

function readClaim(file: string): { pid: number; command: string } | undefined {
    try {
        const claim = JSON.parse(fs.readFileSync(file, "utf8")) as { pid?: unknown; command?: unknown };
        return typeof claim.pid === "number" ? { pid: claim.pid, command: String(claim.command) } : undefined;
    } catch {
        return undefined; // being written, or gone: the next attempt tells
    }
}
