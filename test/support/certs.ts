// Test certificates made with the openssl CLI: self-signed pairs and a CA-signed chain, in a
// temporary directory. Nothing is committed: every run makes its own.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface Pair {
    readonly certificate: string;
    readonly key: string;
}

export interface CertOptions {
    /** subjectAltName entries, e.g. ["DNS:localhost", "IP:127.0.0.1"]. */
    readonly names?: string[];
    readonly days?: number;
    readonly keyType?: "ec" | "rsa";
    readonly commonName?: string;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-certs-"));
let made = 0;

/** The work directory, made again if a suite removed it (removeCertFiles) before another's use. */
function workDir(): string {
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}

function openssl(args: string[]): void {
    const result = childProcess.spawnSync("openssl", args, { encoding: "utf8", cwd: workDir() });
    if (result.status !== 0) {
        const why = result.error?.message ?? result.stderr;
        throw new Error(`openssl ${args.join(" ")} failed (is openssl installed? make setup): ${why}`);
    }
}

function keyArgs(type: "ec" | "rsa"): string[] {
    return type === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"];
}

/** A self-signed certificate and its unencrypted key. */
export function selfSigned(options: CertOptions = {}): Pair {
    const n = made++;
    const names = options.names ?? ["DNS:localhost", "IP:127.0.0.1"];
    openssl([
        "req", "-x509", ...keyArgs(options.keyType ?? "ec"), "-nodes",
        "-keyout", `${n}.key`, "-out", `${n}.crt`, "-days", String(options.days ?? 30),
        "-subj", `/CN=${options.commonName ?? "bluegreen test"}`, "-addext", `subjectAltName=${names.join(",")}`,
    ]); // prettier-ignore
    return read(n);
}

/** A leaf signed by a fresh CA: the leaf's pair, and the chain (leaf then CA). */
export function caSigned(options: CertOptions = {}): Pair & { chain: string; ca: string } {
    const ca = selfSigned({ commonName: "bluegreen test CA", names: ["DNS:ca.invalid"], days: 60 });
    const n = made++;
    workDir();
    fs.writeFileSync(path.join(dir, `ca${n}.crt`), ca.certificate);
    fs.writeFileSync(path.join(dir, `ca${n}.key`), ca.key);
    const names = options.names ?? ["DNS:localhost", "IP:127.0.0.1"];
    fs.writeFileSync(path.join(dir, `${n}.ext`), `subjectAltName=${names.join(",")}\n`);
    openssl([
        "req", "-new", ...keyArgs(options.keyType ?? "ec"), "-nodes", "-keyout", `${n}.key`,
        "-out", `${n}.csr`, "-subj", `/CN=${options.commonName ?? "bluegreen test leaf"}`,
    ]); // prettier-ignore
    openssl([
        "x509", "-req", "-in", `${n}.csr`, "-CA", `ca${n}.crt`, "-CAkey", `ca${n}.key`, "-CAcreateserial",
        "-days", String(options.days ?? 30), "-extfile", `${n}.ext`, "-out", `${n}.crt`,
    ]); // prettier-ignore
    const leaf = read(n);
    return { ...leaf, chain: leaf.certificate + ca.certificate, ca: ca.certificate };
}

/** `key` encrypted with a passphrase (nginx would prompt for it). */
export function encrypted(key: string): string {
    const n = made++;
    workDir();
    fs.writeFileSync(path.join(dir, `plain${n}.key`), key);
    openssl(["pkey", "-in", `plain${n}.key`, "-aes256", "-passout", "pass:secret", "-out", `enc${n}.key`]);
    return fs.readFileSync(path.join(dir, `enc${n}.key`), "utf8");
}

function read(n: number): Pair {
    return {
        certificate: fs.readFileSync(path.join(dir, `${n}.crt`), "utf8"),
        key: fs.readFileSync(path.join(dir, `${n}.key`), "utf8"),
    };
}

/** Removes the temporary directory (the certificates stay valid in memory). */
export function removeCertFiles(): void {
    fs.rmSync(dir, { recursive: true, force: true });
}
