// What the HTTPS and maintenance tests check from outside: curl, the served certificate, and load
// that may meet nginx's own 503s but nothing else.
import * as assert from "assert";
import * as childProcess from "child_process";
import { X509Certificate } from "crypto";
import { LoadResult } from "./hey";

/** curl with `args`; its exit code and everything it printed (-v goes to stderr). */
export function curl(...args: string[]): { code: number; output: string } {
    const result = childProcess.spawnSync("curl", ["-sS", "--max-time", "5", ...args], { encoding: "utf8" });
    return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

/** The certificate's subject and fingerprint as the HTTPS port presents it to a client asking for `name` (SNI). */
export function servedCertificate(port: number, name = "localhost"): { subject: string; fingerprint: string } {
    const result = childProcess.spawnSync(
        "sh",
        [
            "-c",
            `openssl s_client -connect 127.0.0.1:${port} -servername ${name} </dev/null 2>/dev/null | openssl x509 -noout -subject -fingerprint -sha256`,
        ],
        { encoding: "utf8" },
    );
    return {
        subject: /subject=\s*(.*)/.exec(result.stdout)?.[1]?.trim() ?? "",
        fingerprint: /Fingerprint=(.*)/.exec(result.stdout)?.[1]?.trim() ?? "",
    };
}

export function fingerprintOf(pem: string): string {
    return new X509Certificate(pem).fingerprint256;
}

/** Every answer was nginx's own 503 or a 2xx: no connection error, no other status. */
export function assertOnly503s(load: LoadResult[]): number {
    return assertOnlyStatus(load, "503");
}

/** Load that ran, got no connection error and no failure but `status`: how many of those it got. */
export function assertOnlyStatus(load: LoadResult[], status: string): number {
    let seen = 0;
    for (const l of load) {
        assert.ok(l.total > 100, `${l.method}: load ran (${l.total} requests)`);
        assert.deepStrictEqual(l.errors, {}, `${l.method}: no connection errors`);
        assert.deepStrictEqual(
            Object.keys(l.statuses).filter((s) => s !== status),
            [],
            `${l.method}: ${JSON.stringify(l.statuses)}`,
        );
        seen += l.statuses[status] ?? 0;
    }
    return seen;
}
