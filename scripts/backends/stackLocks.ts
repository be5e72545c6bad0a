// The locks a `pulumi up` (or refresh, destroy, import) holds on a stack, read straight from the
// backend: a file:// directory, a postgres:// table or an s3:// bucket. Each lock says which
// process took it (pid, user, host, time), so a helper can name the holder and `npm run recover`
// can prove a lock stale before it removes it.
import * as fs from "fs";
import * as path from "path";
import { run } from "../../components/runtime/process";
import { deleteObject, listKeys, readObject, s3Location } from "./s3Client";

/** One lock of the stack: who took it, where it is kept, and how to remove it. */
export interface StackLock {
    /** Where the backend keeps it: a file's path, a table's key or an object's key. */
    readonly where: string;
    readonly pid?: number;
    readonly username?: string;
    readonly hostname?: string;
    /** When it was taken (RFC 3339), as the CLI wrote it. */
    readonly since?: string;
    remove(): Promise<void>;
}

/** The prefix, inside a backend, of every lock (Pulumi's bookkeeping directory). */
const LOCKS = ".pulumi/locks/";

/** Whether `key` is a lock of project `project`'s stack `stack`: `<project>/<stack>/<id>.json`, or a pre-project one. */
export function isLockOf(key: string, project: string, stack: string): boolean {
    const rest = key.slice(key.indexOf(LOCKS) + LOCKS.length).split("/");
    if (key.indexOf(LOCKS) < 0 || !rest[rest.length - 1].endsWith(".json")) {
        return false;
    }
    const [lockStack, lockProject] = [rest[rest.length - 2], rest[rest.length - 3]];
    return lockStack === stack && (rest.length === 2 || lockProject === project);
}

function parsed(where: string, text: string, remove: () => Promise<void>): StackLock {
    let content: { pid?: unknown; username?: unknown; hostname?: unknown; timestamp?: unknown } = {};
    try {
        content = JSON.parse(text) as typeof content;
    } catch {
        // half written: a lock of unknown owner, never proven stale
    }
    const text_ = (v: unknown) => (typeof v === "string" ? v : undefined);
    return {
        where,
        ...(typeof content.pid === "number" ? { pid: content.pid } : {}),
        ...(text_(content.username) ? { username: text_(content.username) } : {}),
        ...(text_(content.hostname) ? { hostname: text_(content.hostname) } : {}),
        ...(text_(content.timestamp) ? { since: text_(content.timestamp) } : {}),
        remove,
    };
}

async function fileLocks(backend: string, project: string, stack: string): Promise<StackLock[]> {
    const root = backend.slice("file://".length).replace(/\?.*$/, "");
    const lockRoot = path.join(root, ".pulumi", "locks");
    const files = fs.existsSync(lockRoot) ? fs.readdirSync(lockRoot, { recursive: true, encoding: "utf8" }) : [];
    return files
        .map((relative) => path.join(lockRoot, relative))
        .filter((file) => isLockOf(path.relative(root, file).split(path.sep).join("/"), project, stack))
        .flatMap((file) => {
            try {
                return [parsed(file, fs.readFileSync(file, "utf8"), async () => fs.rmSync(file, { force: true }))];
            } catch {
                return []; // removed meanwhile: its update ended
            }
        });
}

/** The table a postgres:// backend keeps its state in (`?table=`, default pulumi_state), and psql's URL (without it). */
export function postgresTarget(backend: string): { table: string; psqlUrl: string } {
    const url = new URL(backend);
    const table = url.searchParams.get("table") || "pulumi_state";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
        throw new Error(`PULUMI_BACKEND_URL: table=${table} is not a plain SQL name (letters, digits, _)`);
    }
    url.searchParams.delete("table");
    return { table, psqlUrl: url.toString() };
}

async function psql(psqlUrl: string, sql: string): Promise<string> {
    const result = await run("psql", ["--no-psqlrc", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, psqlUrl], {
        timeoutMs: 15000,
    });
    if (result.code === 127) {
        throw new Error(
            "reading the stack's locks in a postgres:// backend needs psql (apt-get install postgresql-client)",
        );
    }
    if (result.code !== 0) {
        throw new Error(`psql could not read the backend's locks: ${result.stderr.trim().split("\n")[0]}`);
    }
    return result.stdout;
}

/** A blob as the postgres:// backend stores it: `{"data": "<base64 of its bytes>"}`. */
function blobText(stored: unknown): string {
    const data = (stored as { data?: unknown } | null)?.data;
    return typeof data === "string" ? Buffer.from(data, "base64").toString("utf8") : "";
}

async function postgresLocks(backend: string, project: string, stack: string): Promise<StackLock[]> {
    const { table, psqlUrl } = postgresTarget(backend);
    const rows = await psql(
        psqlUrl,
        // Keys start with the database's name (`state/.pulumi/locks/...`), as an S3 URL's path would.
        `SELECT json_build_object('key', key, 'data', data) FROM ${table} WHERE key LIKE '%${LOCKS}%'`,
    );
    return rows
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as { key: string; data: unknown })
        .filter((row) => isLockOf(row.key, project, stack) && /^[\w./-]+$/.test(row.key))
        .map((row) =>
            parsed(`${table}: ${row.key}`, blobText(row.data), async () => {
                await psql(psqlUrl, `DELETE FROM ${table} WHERE key = '${row.key}'`);
            }),
        );
}

async function s3Locks(backend: string, project: string, stack: string): Promise<StackLock[]> {
    const at = s3Location(backend);
    const keys = (await listKeys(at, `${at.prefix}${LOCKS}`)).filter((key) => isLockOf(key, project, stack));
    const locks: StackLock[] = [];
    for (const key of keys) {
        const text = await readObject(at, key).catch(() => undefined); // gone meanwhile: its update ended
        if (text !== undefined) {
            locks.push(parsed(`s3://${at.bucket}/${key}`, text, () => deleteObject(at, key)));
        }
    }
    return locks;
}

/**
 * The locks on project `project`'s stack `stack` in `backend` (PULUMI_BACKEND_URL). None for a
 * backend of another kind (Pulumi Cloud keeps its own and says who holds them).
 */
export function stackLocks(backend: string, project: string, stack: string): Promise<StackLock[]> {
    const short = stack.split("/").pop()!;
    if (backend.startsWith("file://")) return fileLocks(backend, project, short);
    if (/^postgres(ql)?:\/\//.test(backend)) return postgresLocks(backend, project, short);
    if (backend.startsWith("s3://")) return s3Locks(backend, project, short);
    return Promise.resolve([]);
}
