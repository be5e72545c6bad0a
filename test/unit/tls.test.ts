// Certificate and key validation (components/core/certificates.ts, config.ts) on real certificates made by
// openssl, and hundreds of generated broken and hostile PEM values: every one refused in one line
// that names the key and never shows the private key.
import * as assert from "assert";
import { X509Certificate } from "crypto";
import { parseSettings } from "../../components/core/config";
import { ConfigError } from "../../components/core/configError";
import { validateTls } from "../../components/core/certificates";
import { parseAppCertificate } from "../../components/core/appCertificate";
import type { TlsSettings } from "../../components/core/proxySettings";
import { componentSubject } from "../../components/core/subject";
import { caSigned, encrypted, Pair, removeCertFiles, selfSigned } from "../support/certs";
import { prng } from "../support/prng";

const BASE: Record<string, string> = { liveColor: "blue", blueImage: "app:1", greenImage: "app:1" };

/** The refusal of `run`, checked: a ConfigError naming `key`, one short line, no key material. */
function refusal(run: () => unknown, key: string | RegExp, secret: string): string {
    try {
        run();
    } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        const named = typeof key === "string" ? err.message.startsWith(`bluegreen:${key} `) : key.test(err.message);
        assert.ok(named, err.message);
        assert.ok(!/[\n\r\u2028\u2029]/.test(err.message), `one line: ${err.message}`);
        assert.ok(err.message.length < 400, `short: ${err.message}`);
        for (const line of secret.split("\n").filter((l) => l.length > 16 && !l.startsWith("-----"))) {
            assert.ok(!err.message.includes(line.slice(0, 16)), "the key never shows in an error");
        }
        return err.message;
    }
    throw new Error(`bluegreen:${key} was accepted`);
}

describe("TLS certificate and key validation", function () {
    this.timeout(60000);
    let ec: Pair;
    let rsa: Pair;
    let other: Pair;
    let chained: ReturnType<typeof caSigned>;
    let wildcard: Pair;
    const now = () => new Date();

    before(() => {
        ec = selfSigned({ names: ["DNS:localhost", "DNS:app.test", "IP:127.0.0.1"] });
        rsa = selfSigned({ keyType: "rsa" });
        other = selfSigned();
        chained = caSigned({ names: ["DNS:app.test"] });
        wildcard = selfSigned({ names: ["DNS:*.example.test"] });
    });

    after(removeCertFiles);

    it("accepts EC and RSA pairs and a CA-signed chain, and tells what they are", () => {
        const material = validateTls(ec.certificate, ec.key, ["localhost", "app.test", "127.0.0.1"], now());
        assert.match(material.fingerprint, /^[0-9a-f]{16}$/);
        assert.deepStrictEqual(material.info.names, ["localhost", "app.test", "127.0.0.1"]);
        assert.strictEqual(material.info.subject, "CN=bluegreen test");
        assert.ok(Date.parse(material.info.notAfter) > Date.now());
        assert.ok(validateTls(rsa.certificate, rsa.key, [], now()));
        const chain = validateTls(chained.chain, chained.key, ["app.test"], now());
        assert.strictEqual(chain.info.issuer, "CN=bluegreen test CA");
        assert.strictEqual(chain.certificate.match(/BEGIN CERTIFICATE/g)?.length, 2);
    });

    it("names the files by certificate and key: same pair same name, new pair new name", () => {
        const a = validateTls(ec.certificate, ec.key, [], now());
        assert.strictEqual(validateTls(ec.certificate + "\n\n", ec.key, [], now()).fingerprint, a.fingerprint);
        assert.notStrictEqual(validateTls(other.certificate, other.key, [], now()).fingerprint, a.fingerprint);
    });

    it("refuses a key that is not the certificate's, an encrypted key, and a chain out of order", () => {
        assert.match(
            refusal(() => validateTls(ec.certificate, other.key, [], now()), "tlsKey", other.key),
            /does not match/,
        );
        assert.match(
            refusal(() => validateTls(ec.certificate, encrypted(ec.key), [], now()), "tlsKey", ec.key),
            /encrypted/,
        );
        const reversed = chained.ca + chained.certificate;
        assert.match(
            refusal(() => validateTls(reversed, chained.key, [], now()), "tlsCertificate", chained.key),
            /not a chain|does not match/,
        );
        const wrongCa = chained.certificate + other.certificate;
        assert.match(
            refusal(() => validateTls(wrongCa, chained.key, [], now()), "tlsCertificate", chained.key),
            /not signed by certificate 2/,
        );
    });

    it("refuses a certificate that is expired or not valid yet", () => {
        const info = new X509Certificate(ec.certificate);
        const after = new Date(Date.parse(info.validTo) + 1000);
        const before = new Date(Date.parse(info.validFrom) - 1000);
        assert.match(
            refusal(() => validateTls(ec.certificate, ec.key, [], after), "tlsCertificate", ec.key),
            /expired at/,
        );
        assert.match(
            refusal(() => validateTls(ec.certificate, ec.key, [], before), "tlsCertificate", ec.key),
            /is not valid yet/,
        );
    });

    it("refuses a certificate that does not cover a configured hostname; wildcards cover one label", () => {
        assert.match(
            refusal(() => validateTls(ec.certificate, ec.key, ["other.test"], now()), "tlsCertificate", ec.key),
            /does not cover bluegreen:tlsHostnames entry other\.test \(it covers localhost, app\.test, 127\.0\.0\.1\)/,
        );
        assert.ok(validateTls(wildcard.certificate, wildcard.key, ["a.example.test"], now()));
        refusal(
            () => validateTls(wildcard.certificate, wildcard.key, ["a.b.example.test"], now()),
            "tlsCertificate",
            "",
        );
        refusal(() => validateTls(ec.certificate, ec.key, ["127.0.0.2"], now()), "tlsCertificate", "");
    });

    it("takes an App's own certificate for its hosts (wildcards too), and says what it needs when it cannot", () => {
        const app = componentSubject("App", "api");
        const route = (hosts: string[]) => ({ hosts, pathPrefix: "/", stripPathPrefix: true });
        const proxyTls = { source: "certificate" as const, hostnames: [], redirect: false };
        const parse = (cert: string | undefined, key: string | undefined, hosts: string[], p?: TlsSettings) =>
            parseAppCertificate(cert, key, route(hosts), p, app, now());
        const name = /^App "api": /;
        assert.strictEqual(parse(undefined, undefined, ["app.test"], proxyTls), undefined);
        assert.deepStrictEqual(parse(ec.certificate, ec.key, ["app.test", "localhost"], proxyTls)?.info.names, [
            "localhost",
            "app.test",
            "127.0.0.1",
        ]);
        assert.ok(parse(wildcard.certificate, wildcard.key, ["*.example.test", "a.example.test"], proxyTls));
        const fail = (run: () => unknown, secret = "") => refusal(run, name, secret);
        assert.match(
            fail(() => parse(ec.certificate, ec.key, ["other.test"], proxyTls), ec.key),
            /^App "api": tlsCertificate does not cover App "api": hosts entry other\.test /,
        );
        assert.match(
            fail(() => parse(ec.certificate, ec.key, ["*.example.test"], proxyTls), ec.key),
            /does not cover App "api": hosts entry \*\.example\.test/,
        );
        assert.match(
            fail(() => parse(ec.certificate, undefined, ["app.test"], proxyTls)),
            /: tlsKey is missing: /,
        );
        assert.match(
            fail(() => parse(undefined, ec.key, ["app.test"], proxyTls), ec.key),
            /: tlsCertificate is missing: /,
        );
        assert.match(
            fail(() => parse(ec.certificate, ec.key, ["app.test"])),
            /needs HTTPS on the Proxy/,
        );
        assert.match(
            fail(() => parse(ec.certificate, ec.key, [], proxyTls), ec.key),
            /: tlsCertificate needs hosts: /,
        );
        assert.match(
            fail(() => parse(other.certificate, ec.key, ["app.test"], proxyTls), ec.key),
            /: tlsKey does not match /,
        );
        const acme = { ...proxyTls, source: "acme" as const, hostnames: ["proxy.test"] };
        assert.strictEqual(parse(undefined, undefined, ["app.test"], acme), undefined, "ACME covers an exact host");
        assert.match(
            fail(() => parse(undefined, undefined, ["*.example.test"], acme)),
            /^App "api": hosts entry \*\.example\.test needs a certificate of the App's own .*cannot cover a wildcard/,
        );
        assert.ok(parse(wildcard.certificate, wildcard.key, ["*.example.test"], acme), "unless it brings one");
    });

    it("refuses 600 generated damaged certificates: truncated, flipped, padded, mixed up", () => {
        const random = prng(20261203);
        const pem = ec.certificate;
        const body = pem.indexOf("\n") + 1;
        const end = pem.lastIndexOf("-----END");
        const base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const der = (text: string) => Buffer.from(text.replace(/-----[^-]+-----/g, ""), "base64");
        const mutations: ((r: () => number) => string)[] = [
            (r) => pem.slice(0, Math.floor(r() * pem.length)),
            (r) => {
                // One base64 character changed inside the body.
                const at = body + Math.floor(r() * (end - body));
                const old = pem[at];
                if (old === "\n") return pem.slice(0, at) + "!" + pem.slice(at + 1);
                const replacement = base64[(base64.indexOf(old) + 1 + Math.floor(r() * 62)) % 64];
                return pem.slice(0, at) + replacement + pem.slice(at + 1);
            },
            (r) => {
                const junk = ['"; include /etc/passwd; #', "ssl_certificate /x;", "$host", "\u0000", "🚀", "}\n{"];
                const at = Math.floor(r() * pem.length);
                return pem.slice(0, at) + junk[Math.floor(r() * junk.length)] + pem.slice(at);
            },
            () => pem.replace("BEGIN CERTIFICATE", "BEGIN CERTIFICATES"),
            () => ec.key,
            () => pem + ec.key,
            () => "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
            (r) => "x".repeat(1 + Math.floor(r() * 70000)),
            () => pem.replace(/\n/g, " "),
        ];
        let refused = 0;
        let unverifiable = 0;
        for (let i = 0; i < 600; i++) {
            const value = mutations[i % mutations.length](random);
            try {
                // A damaged public key no longer matches the key: refused for that.
                refusal(() => validateTls(value, ec.key, [], now()), /^bluegreen:tls(Certificate|Key) /, ec.key);
                refused++;
            } catch (err) {
                if (!/was accepted$/.test((err as Error).message)) throw err;
                // Only a change that leaves the certificate's bytes as they were may pass, or one in
                // the issuer's name: then it is no longer self-signed and nothing here can check it
                // (a CA-issued leaf sent without its intermediates looks the same).
                const cert = new X509Certificate(value);
                assert.ok(
                    der(value).equals(der(pem)) || cert.issuer !== cert.subject,
                    `${(err as Error).message}: ${JSON.stringify(value.slice(0, 120))}`,
                );
                unverifiable++;
            }
        }
        assert.ok(refused >= 580, `${refused} of 600 refused (${unverifiable} changed the issuer's name)`);
    });

    it("refuses 300 generated damaged keys without ever showing them", () => {
        const random = prng(7);
        const pem = ec.key;
        const body = pem.indexOf("\n") + 1;
        const end = pem.lastIndexOf("-----END");
        const mutations: ((r: () => number) => string)[] = [
            (r) => pem.slice(0, body + Math.floor(r() * (end - body))),
            (r) => {
                const at = body + Math.floor(r() * (end - body - 4));
                const old = pem[at];
                const replacement = old === "A" ? "B" : old === "\n" ? "!" : "A";
                return pem.slice(0, at) + replacement + pem.slice(at + 1);
            },
            () => pem.replace("PRIVATE KEY", "PUBLIC KEY"),
            () => pem + pem,
            () => ec.certificate,
            () => rsa.key,
            (r) => pem.slice(0, body) + "'; rm -rf /; '" + pem.slice(body + Math.floor(r() * 10)),
        ];
        for (let i = 0; i < 300; i++) {
            const value = mutations[i % mutations.length](random);
            refusal(() => validateTls(ec.certificate, value, [], now()), "tlsKey", pem);
        }
    });

    it("needs both halves, takes the key only with a certificate, and checks the HTTPS port", () => {
        const read = (extra: Record<string, string>) => {
            const values: Record<string, string> = { ...BASE, ...extra };
            return () => parseSettings((k) => values[k]);
        };
        refusal(read({ tlsCertificate: ec.certificate }), "tlsKey", ec.key);
        refusal(read({ tlsKey: ec.key }), "tlsCertificate", ec.key);
        refusal(read({ tlsHostnames: "app.test" }), "tlsHostnames", "");
        refusal(read({ tlsCertificate: ec.certificate, tlsKey: ec.key, httpsPort: "8080" }), "httpsPort", ec.key);
        refusal(read({ tlsCertificate: ec.certificate, tlsKey: ec.key, tlsRedirect: "yes" }), "tlsRedirect", ec.key);
        const on = read({ tlsCertificate: ec.certificate, tlsKey: ec.key, tlsHostnames: "app.test,localhost" })();
        assert.strictEqual(on.httpsPort, 8443);
        assert.strictEqual(on.tls?.redirect, true);
        assert.deepStrictEqual(on.tls?.hostnames, ["app.test", "localhost"]);
        assert.strictEqual(read({})().tls, undefined);
        assert.deepStrictEqual(read({})().maintenance, { on: false, message: "Down for maintenance, back soon." });
    });

    it("takes ACME settings, and refuses them with a certificate, on a swarm, or without DNS names", () => {
        const acme = { tlsAcmeEmail: "ops@app.test", tlsHostnames: "app.test,www.app.test" };
        const read = (extra: Record<string, string>) => {
            const values: Record<string, string> = { ...BASE, ...acme, ...extra };
            return () => parseSettings((k) => values[k]);
        };
        const on = read({})();
        assert.deepStrictEqual(on.tls?.acme, {
            email: "ops@app.test",
            directory: "https://acme-v02.api.letsencrypt.org/directory",
            image: "bluegreen-acme:local",
        });
        assert.strictEqual(on.tls?.material, undefined);
        const ca = read({ tlsAcmeDirectory: "https://acme.internal:14000/dir", tlsAcmeDirectoryCa: ec.certificate })();
        assert.strictEqual(ca.tls?.acme?.directoryCa, ec.certificate);
        assert.match(
            refusal(read({ tlsCertificate: ec.certificate, tlsKey: ec.key }), "tlsAcmeEmail", ec.key),
            /exclude each other/,
        );
        assert.match(
            refusal(read({ orchestrator: "swarm", replicas: "2" }), "tlsAcmeEmail", ""),
            /orchestrator docker only/,
        );
        for (const tlsHostnames of ["*.app.test", "127.0.0.1", "app.test,10.0.0.1"]) {
            assert.match(refusal(read({ tlsHostnames }), "tlsHostnames", ""), /without wildcards or IP/);
        }
        refusal(read({ tlsHostnames: "" }), "tlsHostnames", "");
        refusal(read({ tlsAcmeDirectoryCa: "not pem" }), "tlsAcmeDirectoryCa", "");
        for (const tlsAcmeDirectory of ["http://acme.test/dir", "https://a b/", "https://x/$(id)", "ftp://x"]) {
            refusal(read({ tlsAcmeDirectory }), "tlsAcmeDirectory", "");
        }
        for (const tlsAcmeEmail of ["ops", "a@b", "a b@c.d", "ops@app.test\n", "$(id)@x.y", "<a@b.c>"]) {
            refusal(read({ tlsAcmeEmail }), "tlsAcmeEmail", "");
        }
    });

    it("refuses 1000 generated hostnames lists with a character DNS names cannot have", () => {
        const random = prng(42);
        const bad = [";", "{", "$", '"', " ", "\t", "\n", "_", "é", "/", ":", "..", "-", "*", "A"];
        for (let i = 0; i < 1000; i++) {
            const label = Math.floor(random() * 1e9).toString(36);
            const hostile = bad[i % bad.length];
            const name =
                hostile === "-" ? `-${label}.test` : hostile === "*" ? `a.*.${label}` : `${label}${hostile}x.test`;
            const list = random() < 0.5 ? name : `ok.test,${name}`;
            const values: Record<string, string> = {
                ...BASE,
                tlsCertificate: ec.certificate,
                tlsKey: ec.key,
                tlsHostnames: list,
            };
            refusal(() => parseSettings((k) => values[k]), "tlsHostnames", ec.key);
        }
    });
});
