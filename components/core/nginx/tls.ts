// HTTPS: the TLS listener's certificate files and protocol profile, and the redirect from HTTP.
// Certificates from config are files named by their fingerprint, so a rotation writes new files
// beside the ones in use and a reload switches over (the proxy switch installs them); an ACME
// certificate is one file the agent replaces and reloads on its own.

/** nginx's TLS listener inside the proxy container; `httpsPort` is published onto it. */
export const TLS_LISTEN_PORT = 443;
/** Where ACME's HTTP-01 challenges are answered, over plain HTTP even when it redirects. */
export const ACME_CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

export interface Tls {
    /** The certificate chain's file in the proxy's container. */
    readonly certificate: string;
    /** The key's file (may be the same file as the chain). */
    readonly key: string;
    /** Answer HTTP with a 301 to HTTPS. */
    readonly redirect: boolean;
    /** The public HTTPS port, for the redirect's Location. */
    readonly httpsPort: number;
    /** With ACME: the agent's address in the proxy's network namespace, where challenges go. */
    readonly acmeChallenge?: string;
}

/** Where a certificate chain and its key are in the proxy's container. */
export type TlsFiles = Pick<Tls, "certificate" | "key">;

/** Where a certificate from config and its key live: files named by their fingerprint. */
export function fingerprintFiles(fingerprint: string, filesDir: string): TlsFiles {
    if (!/^[0-9a-f]{16}$/.test(fingerprint)) {
        throw new Error(`TLS files must be named by a fingerprint (got ${JSON.stringify(fingerprint)})`);
    }
    return { certificate: `${filesDir}/${fingerprint}.crt`, key: `${filesDir}/${fingerprint}.key` };
}

function assertTls(tls: Tls): void {
    for (const file of [tls.certificate, tls.key]) {
        if (!/^\/[A-Za-z0-9._/-]+$/.test(file) || file.includes("..")) {
            throw new Error(`TLS file paths must be plain absolute paths (got ${JSON.stringify(file)})`);
        }
    }
    if (tls.acmeChallenge !== undefined && !/^127\.0\.0\.1:[0-9]{1,5}$/.test(tls.acmeChallenge)) {
        throw new Error(`the ACME agent must listen on 127.0.0.1 (got ${JSON.stringify(tls.acmeChallenge)})`);
    }
}

/**
 * The listener and Mozilla's "intermediate" profile (TLS 1.2 and 1.3, forward-secret AEAD ciphers
 * only): every browser and client of the last decade connects, and nothing weaker than what Mozilla
 * recommends for general-purpose servers is offered. "modern" (TLS 1.3 only) would turn away
 * older Android and Java clients for little gain.
 */
export function tlsListener(tls: Tls, defaultServer = false): string {
    assertTls(tls);
    return `        listen ${TLS_LISTEN_PORT} ssl${defaultServer ? " default_server" : ""};
        http2 on;
        ssl_certificate ${tls.certificate};
        ssl_certificate_key ${tls.key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
        ssl_prefer_server_ciphers off;
        # Resumed sessions skip a full handshake; the cache outlives reloads (same name and size).
        ssl_session_cache shared:bluegreen_tls:10m;
        ssl_session_timeout 1d;
        ssl_session_tickets off;
`;
}

/** HTTP's answer when redirecting: a 301 to the same host and path on the HTTPS port (for `match`, default all). */
export function redirectLocation(tls: Tls, match = "/"): string {
    if (!Number.isInteger(tls.httpsPort) || tls.httpsPort < 1 || tls.httpsPort > 65535) {
        throw new Error(`HTTPS port must be an integer from 1 to 65535 (got ${tls.httpsPort})`);
    }
    const port = tls.httpsPort === 443 ? "" : `:${tls.httpsPort}`;
    return `        location ${match} {
            return 301 https://$host${port}$request_uri;
        }
`;
}

/** Where ACME's HTTP-01 challenges go: to the agent, or (no ACME) to the app like any path. */
export function acmeChallengeLocation(tls: Tls, appLocation: (match: string) => string): string {
    assertTls(tls);
    if (tls.acmeChallenge === undefined) {
        return appLocation(`^~ ${ACME_CHALLENGE_PREFIX}`);
    }
    return `        location ^~ ${ACME_CHALLENGE_PREFIX} {
            proxy_pass http://${tls.acmeChallenge};
        }
`;
}
