// Certificate and key checks for `tlsCertificate`/`tlsKey`. Pure (Node's X.509 parser, no I/O, the
// clock passed in), so every refusal has a plain test. Errors name the key and never show the key.
import { createHash, createPrivateKey, KeyObject, sign, verify, X509Certificate } from "crypto";
import { ConfigError } from "./configError";

/** What status, outputs and previews show of a certificate: never the key. */
export interface CertificateInfo {
    readonly subject: string;
    readonly issuer: string;
    /** ISO 8601. */
    readonly notBefore: string;
    readonly notAfter: string;
    /** DNS names and IP addresses the certificate covers. */
    readonly names: string[];
}

/** A validated certificate chain and key, ready to install. */
export interface TlsMaterial {
    /** The chain as PEM: the leaf first, then intermediates, normalized (one trailing newline). */
    readonly certificate: string;
    /** The private key as PEM. */
    readonly key: string;
    /** Names the files in the proxy: a hash of both, so a rotation never overwrites a file in use. */
    readonly fingerprint: string;
    readonly info: CertificateInfo;
}

const MAX_PEM_LENGTH = 64 * 1024;
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /^-----BEGIN (RSA |EC )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1PRIVATE KEY-----$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Where a certificate about to expire is pointed out (preview warns, status says so). */
export const EXPIRY_WARNING_DAYS = 14;

/** `name` is the setting as messages show it (`bluegreen:tlsCertificate`, `Proxy "edge": tlsCertificate`). */
function refuse(name: string, why: string): never {
    throw new ConfigError(`${name} ${why}`);
}

/** The PEM blocks of a chain, each parsed; refuses anything else in the value. */
export function parseChain(key: string, pem: string): X509Certificate[] {
    const allowed = "must be a PEM certificate chain (-----BEGIN CERTIFICATE----- blocks, the server's first)";
    if (pem.length > MAX_PEM_LENGTH) {
        refuse(key, `${allowed}; got ${pem.length} characters, more than ${MAX_PEM_LENGTH}`);
    }
    const blocks = pem.match(CERT_BLOCK) ?? [];
    if (blocks.length === 0) {
        refuse(key, `${allowed}; no certificate block found`);
    }
    if (pem.replace(CERT_BLOCK, "").trim() !== "") {
        refuse(key, `${allowed}; it holds text outside the certificate blocks`);
    }
    return blocks.map((block, i) => {
        try {
            return new X509Certificate(block);
        } catch {
            return refuse(key, `${allowed}; certificate ${i + 1} of ${blocks.length} does not parse`);
        }
    });
}

/** The private key; refuses encrypted keys (nginx would ask for a passphrase) and anything not PEM. */
export function parseKey(key: string, pem: string): KeyObject {
    const allowed =
        "must be an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC), set with --secret";
    if (pem.length > MAX_PEM_LENGTH) {
        refuse(key, `${allowed}; it is longer than ${MAX_PEM_LENGTH} characters`);
    }
    const text = pem.trim();
    if (/ENCRYPTED/.test(text)) {
        refuse(key, `${allowed}; this key is encrypted`);
    }
    if (!KEY_BLOCK.test(text)) {
        refuse(key, `${allowed}; no single private key block found`);
    }
    try {
        return createPrivateKey({ key: text, format: "pem" });
    } catch {
        return refuse(key, `${allowed}; the key block does not parse`);
    }
}

/**
 * Each certificate must be signed by the next one, and a self-signed one by itself: a chain in the
 * wrong order or a damaged signature fails here, not in browsers.
 */
function assertChain(key: string, chain: X509Certificate[]): void {
    chain.forEach((cert, i) => {
        // Names, not checkIssued: a damaged key identifier would make a self-signed one look CA-issued.
        const issuer = chain[i + 1] ?? (cert.issuer === cert.subject ? cert : undefined);
        if (issuer !== undefined && !signedBy(cert, issuer)) {
            refuse(
                key,
                i + 1 < chain.length
                    ? `is not a chain: certificate ${i + 1} is not signed by certificate ${i + 2} (the server's certificate first, then its issuers)`
                    : `has a self-signed certificate whose signature does not verify (damaged?)`,
            );
        }
    });
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
    try {
        return cert.issuer === issuer.subject && cert.verify(issuer.publicKey);
    } catch {
        return false; // a public key that does not decode
    }
}

/** Whether `privateKey` really is the certificate's: a signature made with it verifies with the certificate. */
function keyMatches(cert: X509Certificate, privateKey: KeyObject): boolean {
    // checkPrivateKey compares public halves only; a damaged private half would pass it.
    const data = Buffer.from("bluegreen key check");
    const algorithm = privateKey.asymmetricKeyType === "ed25519" ? null : "sha256";
    try {
        return (
            cert.checkPrivateKey(privateKey) &&
            verify(algorithm, data, cert.publicKey, sign(algorithm, data, privateKey))
        );
    } catch {
        return false;
    }
}

/** DNS names and IP addresses of a certificate's subjectAltName. */
function altNames(cert: X509Certificate): string[] {
    return (cert.subjectAltName ?? "")
        .split(/,\s*/)
        .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1])
        .filter((name): name is string => name !== undefined);
}

function oneLine(dn: string): string {
    return dn.split("\n").filter(Boolean).join(", ");
}

export function certificateInfo(cert: X509Certificate): CertificateInfo {
    return {
        subject: oneLine(cert.subject),
        issuer: oneLine(cert.issuer),
        notBefore: new Date(cert.validFrom).toISOString(),
        notAfter: new Date(cert.validTo).toISOString(),
        names: altNames(cert),
    };
}

/** Whether the certificate covers `hostname` (a DNS name, wildcards as browsers apply them, or an IP). */
export function covers(cert: X509Certificate, hostname: string): boolean {
    return /^[0-9.]+$|:/.test(hostname) ? cert.checkIP(hostname) !== undefined : cert.checkHost(hostname) !== undefined;
}

/**
 * Validates a certificate chain and its key for serving `hostnames` at `now`: PEM, the key matches
 * the leaf, the leaf is valid now, and it covers every hostname.
 */
export function validateTls(
    certificate: string,
    key: string,
    hostnames: readonly string[],
    now: Date,
    name: (key: string) => string = (key) => `bluegreen:${key}`,
    hostsKey = "tlsHostnames",
): TlsMaterial {
    const keys = { certificate: name("tlsCertificate"), key: name("tlsKey") };
    const chain = parseChain(keys.certificate, certificate);
    const leaf = chain[0];
    assertChain(keys.certificate, chain);
    const privateKey = parseKey(keys.key, key);
    if (!keyMatches(leaf, privateKey)) {
        refuse(
            keys.key,
            `does not match ${keys.certificate} (${oneLine(leaf.subject)}): set the key of that certificate`,
        );
    }
    const info = certificateInfo(leaf);
    if (now.getTime() < Date.parse(info.notBefore)) {
        refuse(keys.certificate, `is not valid yet: valid from ${info.notBefore} (now ${now.toISOString()})`);
    }
    if (now.getTime() > Date.parse(info.notAfter)) {
        refuse(keys.certificate, `expired at ${info.notAfter} (now ${now.toISOString()}): renew it`);
    }
    for (const hostname of hostnames) {
        if (!covers(leaf, hostname)) {
            refuse(
                keys.certificate,
                `does not cover ${name(hostsKey)} entry ${hostname} (it covers ${info.names.join(", ") || "no names"})`,
            );
        }
    }
    const normalized = chain.map((c) => c.toString().trim()).join("\n") + "\n";
    const keyPem = key.trim() + "\n";
    return {
        certificate: normalized,
        key: keyPem,
        fingerprint: createHash("sha256").update(normalized).update("\0").update(keyPem).digest("hex").slice(0, 16),
        info,
    };
}

/** Days until the certificate expires, rounded down. */
export function daysLeft(info: CertificateInfo, now: Date): number {
    return Math.floor((Date.parse(info.notAfter) - now.getTime()) / DAY_MS);
}
