// Real servers for Pulumi's shared backends, started by a suite on loopback and removed after it:
// Debian's PostgreSQL (a cluster of its own in a temporary directory) and versitygw, an
// S3-compatible server over a temporary directory (both installed by make setup). A missing
// server fails the suite in one line, never skips it.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { freePort } from "./registry";

/** A running state server: the environment a Pulumi CLI needs to keep its state there, and its stop. */
export interface StateServer {
    readonly kind: "postgres" | "s3";
    /** PULUMI_BACKEND_URL and the credentials the CLI reads from the environment. */
    readonly env: Record<string, string>;
    /** How many bytes of state the backend holds (table size, or the bucket's files). */
    stateBytes(): number;
    /** Everything the backend holds, as text (to look for a secret in). */
    stateText(): string;
    /** Writes a lock of the project `bluegreen`'s stack `stack` straight into the backend, as another machine's CLI would. */
    plantLock(stack: string, content: object): void;
    stop(): void;
}

const PG_BIN = "/usr/lib/postgresql/15/bin";
const VERSITYGW = path.join(
    process.env.BLUEGREEN_CACHE ?? path.join(os.homedir(), ".cache/bluegreen"),
    "versitygw-v1.8.0/versitygw",
);

function sh(file: string, args: string[], options: childProcess.SpawnSyncOptions = {}): string {
    const result = childProcess.spawnSync(file, args, { encoding: "utf8", timeout: 60000, ...options });
    if (result.status !== 0) {
        throw new Error(
            `${file} ${args.join(" ")} failed: ${String(result.stderr ?? result.error)
                .trim()
                .split("\n")
                .pop()}`,
        );
    }
    return String(result.stdout);
}

/** Where the CLI keeps a lock of the project `bluegreen`'s stack `stack` (its id: any file name). */
function lockKey(stack: string): string {
    return `.pulumi/locks/organization/bluegreen/${stack}/planted-${process.pid}.json`;
}

/** Waits (at most 20 s) until something accepts connections on 127.0.0.1:`port`. */
async function listening(port: number, name: string): Promise<void> {
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
        const up = await new Promise<boolean>((resolve) => {
            const socket = net.connect({ host: "127.0.0.1", port }, () => resolve(true));
            socket.on("error", () => resolve(false));
            socket.setTimeout(1000, () => resolve(false));
        }).finally(() => undefined);
        if (up) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${name} did not listen on 127.0.0.1:${port} within 20 s`);
}

/** A PostgreSQL cluster of its own on 127.0.0.1:`port` (default: a free one), with a database `state` for Pulumi, password login. */
export async function startPostgres(requested?: number): Promise<StateServer> {
    const port = requested ?? (await freePort());
    if (!fs.existsSync(path.join(PG_BIN, "postgres"))) {
        throw new Error(`no PostgreSQL server at ${PG_BIN}: run make setup (it installs postgresql-15)`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-pg-"));
    const data = path.join(dir, "data");
    const password = `pw-${process.pid}`;
    fs.writeFileSync(path.join(dir, "pwfile"), `${password}\n`);
    // The server refuses to run as root: as Debian's postgres user, in a directory it owns.
    sh("chown", ["-R", "postgres:postgres", dir]);
    const asPostgres = (file: string, args: string[]) =>
        sh("runuser", ["-u", "postgres", "--", file, ...args], { cwd: dir });
    asPostgres(path.join(PG_BIN, "initdb"), [
        "-D",
        data,
        "-U",
        "pulumi",
        "--auth=scram-sha-256",
        `--pwfile=${dir}/pwfile`,
    ]);
    asPostgres(path.join(PG_BIN, "pg_ctl"), [
        "-D",
        data,
        "-l",
        path.join(dir, "log"),
        "-w",
        "-o",
        `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`,
        "start",
    ]);
    const admin = `postgres://pulumi:${password}@127.0.0.1:${port}/postgres?sslmode=disable`;
    try {
        await listening(port, "PostgreSQL");
        sh("psql", ["-X", "-q", "-c", "CREATE DATABASE state", admin]);
    } catch (err) {
        asPostgres(path.join(PG_BIN, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]);
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
    }
    const url = `postgres://pulumi:${password}@127.0.0.1:${port}/state?sslmode=disable`;
    return {
        kind: "postgres",
        env: { PULUMI_BACKEND_URL: url },
        stateBytes: () =>
            Number(
                sh("psql", [
                    "-X",
                    "-A",
                    "-t",
                    "-c",
                    "SELECT coalesce(sum(pg_column_size(data)), 0) FROM pulumi_state",
                    url,
                ]).trim(),
            ),
        // Each blob is stored as {"data": "<base64>"}: decoded, so a secret in plain text would show.
        stateText: () =>
            sh("psql", ["-X", "-A", "-t", "-c", "SELECT data->>'data' FROM pulumi_state", url])
                .split("\n")
                .map((line) => Buffer.from(line, "base64").toString("utf8"))
                .join("\n"),
        plantLock: (stack, content) =>
            // The backend's keys start with the database's name.
            void sh("psql", [
                "-X",
                "-q",
                "-c",
                `INSERT INTO pulumi_state (key, data) VALUES ('state/${lockKey(stack)}', '${JSON.stringify({ data: Buffer.from(JSON.stringify(content)).toString("base64") })}')`,
                url,
            ]),
        stop() {
            try {
                asPostgres(path.join(PG_BIN, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        },
    };
}

/** versitygw on 127.0.0.1:`port` (default: a free one) over a temporary directory, with a bucket `state` for Pulumi. */
export async function startS3(requested?: number): Promise<StateServer> {
    const port = requested ?? (await freePort());
    if (!fs.existsSync(VERSITYGW)) {
        throw new Error(`no versitygw at ${VERSITYGW}: run make setup (it builds it)`);
    }
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-s3-"));
    fs.mkdirSync(path.join(root, "state")); // a posix backend's bucket is a top-level directory
    const [accessKey, secretKey] = ["bluegreen-test", `secret-${process.pid}`];
    const server = childProcess.spawn(
        VERSITYGW,
        ["--access", accessKey, "--secret", secretKey, "--port", `127.0.0.1:${port}`, "--quiet", "posix", root],
        { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    server.stderr!.on("data", (d) => (stderr += d));
    const stop = () => {
        server.kill("SIGKILL");
        fs.rmSync(root, { recursive: true, force: true });
    };
    try {
        await listening(port, "versitygw");
    } catch (err) {
        stop();
        throw new Error(`${(err as Error).message}: ${stderr.trim()}`);
    }
    return {
        kind: "s3",
        env: {
            PULUMI_BACKEND_URL: `s3://state?endpoint=http://127.0.0.1:${port}&s3ForcePathStyle=true&region=us-east-1`,
            AWS_ACCESS_KEY_ID: accessKey,
            AWS_SECRET_ACCESS_KEY: secretKey,
            AWS_REGION: "us-east-1",
        },
        stateBytes: () => Number(sh("du", ["-sb", "--exclude=.sgwtmp", path.join(root, "state")]).split("\t")[0]),
        stateText: () => sh("grep", ["-r", "--exclude-dir=.sgwtmp", "", path.join(root, "state")]),
        // A posix backend's object is the file at its key under the bucket's directory.
        plantLock: (stack, content) => {
            const file = path.join(root, "state", lockKey(stack));
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, JSON.stringify(content));
        },
        stop,
    };
}
