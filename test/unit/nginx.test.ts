import * as assert from "assert";
import {
    filesDirOf,
    fingerprintFiles,
    NGINX_CONF_PATH,
    parseVersionBody,
    renderPlaceholderConfig,
    renderProxyConfig,
    VERSION_PATH,
} from "../../components/core/nginx";

describe("nginx config rendering", () => {
    const green = renderProxyConfig({ color: "green", host: "dev-green", port: 8080 });

    it("sends all traffic to the live colour's container", () => {
        assert.match(green.text, /upstream bluegreen_live \{\s+#[^\n]*\n\s+server dev-green:8080 max_fails=0;/);
        assert.match(green.text, /proxy_pass http:\/\/bluegreen_live;/);
        assert.strictEqual(green.text.match(/server dev-/g)?.length, 1);
    });

    it("tags every proxied response with the serving colour", () => {
        assert.match(green.text, /add_header X-Color green always;/);
    });

    it("carries the settings that make reloads lossless", () => {
        assert.match(green.text, /keepalive_min_timeout 1s;/);
        assert.match(green.text, /worker_shutdown_timeout 30s;/);
        assert.match(green.text, /keepalive 128;/);
        assert.match(green.text, /proxy_next_upstream error timeout;/);
        assert.doesNotMatch(green.text.replace(/#[^\n]*/g, ""), /non_idempotent/);
        assert.doesNotMatch(green.text.replace(/#[^\n]*/g, ""), /reuseport/);
    });

    it("stamps a version that the version endpoint returns", () => {
        assert.match(green.version, /^[0-9a-f]{12}$/);
        assert.ok(green.text.includes(`location = ${VERSION_PATH}`));
        assert.ok(green.text.includes(`return 200 "${green.version} green\\n";`));
        assert.deepStrictEqual(parseVersionBody(`${green.version} green\n`), {
            version: green.version,
            color: "green",
        });
    });

    it("is deterministic and changes version with the target", () => {
        assert.deepStrictEqual(renderProxyConfig({ color: "green", host: "dev-green", port: 8080 }), green);
        const blue = renderProxyConfig({ color: "blue", host: "dev-blue", port: 8080 });
        assert.notStrictEqual(blue.version, green.version);
        assert.notStrictEqual(
            renderProxyConfig({ color: "green", host: "dev-green", port: 9090 }).version,
            green.version,
        );
    });

    it("refuses hosts and ports that could inject directives", () => {
        for (const host of ["a;b", "a b", "a{", "a\nb", ""]) {
            assert.throws(() => renderProxyConfig({ color: "blue", host, port: 80 }), /host must be a container name/);
        }
        assert.throws(() => renderProxyConfig({ color: "blue", host: "a", port: 0 }), /port must be an integer/);
        assert.throws(
            () => renderProxyConfig({ color: "red" as "blue", host: "a", port: 80 }),
            /colour must be blue or green/,
        );
    });

    it("starts a new proxy on a placeholder that answers 503 and reports no colour", () => {
        const placeholder = renderPlaceholderConfig();
        assert.match(placeholder.text, /return 503/);
        assert.ok(placeholder.text.includes(`return 200 "${placeholder.version} none\\n";`));
        assert.doesNotMatch(placeholder.text, /upstream/);
    });

    it("parses only well-formed version bodies", () => {
        assert.strictEqual(parseVersionBody("nope"), undefined);
        assert.strictEqual(parseVersionBody("0123456789ab red"), undefined);
    });

    describe("HTTPS and maintenance", () => {
        const target = { color: "green" as const, host: "dev-green", port: 8080 };
        const files = (fingerprint: string) => fingerprintFiles(fingerprint, filesDirOf(NGINX_CONF_PATH));
        const tls = { ...files("0123456789abcdef"), redirect: true, httpsPort: 8443 };
        const maintenance = { message: "Back at 10:00 UTC.", healthPath: "/health" };
        /** The server block that listens on `port`. */
        const server = (text: string, listen: string) => {
            const start = text.indexOf(`listen ${listen}`);
            assert.ok(start > 0, `a server listens on ${listen}`);
            const next = text.indexOf("\n    server {", start);
            return text.slice(start, next < 0 ? undefined : next);
        };

        it("serves HTTPS with HTTP/2 from files named by the fingerprint, TLS 1.2 and 1.3 only", () => {
            const text = renderProxyConfig(target, undefined, { tls }).text;
            const https = server(text, "443 ssl;");
            assert.match(https, /http2 on;/);
            assert.match(https, /ssl_certificate \/etc\/nginx\/bluegreen-files\/0123456789abcdef\.crt;/);
            assert.match(https, /ssl_certificate_key \/etc\/nginx\/bluegreen-files\/0123456789abcdef\.key;/);
            assert.match(https, /ssl_protocols TLSv1\.2 TLSv1\.3;/);
            assert.doesNotMatch(https, /ssl_ciphers[^;]*(RC4|3DES|CBC|SHA1|MD5|NULL)/);
            assert.match(https, /proxy_pass http:\/\/bluegreen_live;/);
            assert.ok(https.includes(`location = ${VERSION_PATH}`));
        });

        it("redirects HTTP to HTTPS but the ACME challenge and version paths", () => {
            const http = server(renderProxyConfig(target, undefined, { tls }).text, "80;");
            assert.match(http, /location \/ \{\s+return 301 https:\/\/\$host:8443\$request_uri;/);
            assert.match(http, /location \^~ \/\.well-known\/acme-challenge\/ \{\s+proxy_pass/);
            assert.ok(http.includes(`location = ${VERSION_PATH}`));
            const on443 = server(renderProxyConfig(target, undefined, { tls: { ...tls, httpsPort: 443 } }).text, "80;");
            assert.match(on443, /return 301 https:\/\/\$host\$request_uri;/);
            const both = server(renderProxyConfig(target, undefined, { tls: { ...tls, redirect: false } }).text, "80;");
            assert.doesNotMatch(both, /return 301/);
            assert.match(both, /location \/ \{\s+proxy_pass/);
        });

        it("with ACME, reads one bundle and forwards challenges to the agent, redirecting or not", () => {
            const acme = {
                certificate: "/etc/nginx/bluegreen-acme/bundle.pem",
                key: "/etc/nginx/bluegreen-acme/bundle.pem",
                acmeChallenge: "127.0.0.1:8402",
                redirect: true,
                httpsPort: 443,
            };
            for (const redirect of [true, false]) {
                const text = renderProxyConfig(target, undefined, { tls: { ...acme, redirect } }).text;
                const http = server(text, "80;");
                assert.match(
                    http,
                    /location \^~ \/\.well-known\/acme-challenge\/ \{\s+proxy_pass http:\/\/127\.0\.0\.1:8402;\s+\}/,
                );
                assert.match(
                    http,
                    redirect
                        ? /return 301 https:\/\/\$host\$request_uri;/
                        : /location \/ \{\s+proxy_pass http:\/\/bluegreen_live;/,
                );
                const https = server(text, "443 ssl;");
                assert.match(
                    https,
                    /ssl_certificate \/etc\/nginx\/bluegreen-acme\/bundle\.pem;\s+ssl_certificate_key \/etc\/nginx\/bluegreen-acme\/bundle\.pem;/,
                );
            }
        });

        it("answers 503 with Retry-After in maintenance, but the health path and version endpoint", () => {
            const text = renderProxyConfig(target, undefined, { tls, maintenance }).text;
            for (const block of [
                server(text, "443 ssl;"),
                server(renderProxyConfig(target, undefined, { maintenance }).text, "80;"),
            ]) {
                assert.match(block, /location = \/health \{\s+proxy_pass http:\/\/bluegreen_live;/);
                assert.match(
                    block,
                    /location \/ \{[^}]*add_header Retry-After 60 always;[^}]*return 503 "Back at 10:00 UTC\.\\n";/,
                );
                assert.ok(block.includes(`location = ${VERSION_PATH}`));
            }
        });

        it("changes the version with every edge setting, and keeps it without them", () => {
            const plain = renderProxyConfig(target);
            const versions = new Set([
                plain.version,
                renderProxyConfig(target, undefined, { tls }).version,
                renderProxyConfig(target, undefined, { tls: { ...tls, ...files("fedcba9876543210") } }).version,
                renderProxyConfig(target, undefined, { tls: { ...tls, redirect: false } }).version,
                renderProxyConfig(target, undefined, { maintenance }).version,
                renderProxyConfig(target, undefined, { maintenance: { ...maintenance, message: "Soon." } }).version,
            ]);
            assert.strictEqual(versions.size, 6);
            assert.deepStrictEqual(renderProxyConfig(target, undefined, {}), plain);
        });

        it("refuses edge values that could inject directives", () => {
            for (const message of ['a"; return 200 "x', "a;b", "${x}", "a\nb", "{", ""]) {
                assert.throws(
                    () => renderProxyConfig(target, undefined, { maintenance: { ...maintenance, message } }),
                    /maintenance message/,
                );
            }
            for (const fingerprint of ["../../etc/passwd", "0123456789abcdeg", "0123;"]) {
                assert.throws(() => files(fingerprint), /fingerprint/);
            }
            for (const certificate of ["/etc/nginx/a;b.crt", "relative.crt", "/etc/../x.crt", "/a b"]) {
                assert.throws(
                    () => renderProxyConfig(target, undefined, { tls: { ...tls, certificate } }),
                    /plain absolute paths/,
                );
            }
            assert.throws(
                () => renderProxyConfig(target, undefined, { tls: { ...tls, acmeChallenge: "10.0.0.1:80;" } }),
                /127\.0\.0\.1/,
            );
            assert.throws(() => renderProxyConfig(target, undefined, { tls: { ...tls, httpsPort: 0 } }), /HTTPS port/);
            assert.throws(
                () => renderProxyConfig(target, undefined, { maintenance: { ...maintenance, healthPath: "/a;b" } }),
                /health path/,
            );
        });
    });

    describe("canary", () => {
        const target = { color: "blue" as const, host: "dev-blue", port: 8080 };
        const canary = { percent: 10, color: "green" as const, host: "dev-green" };

        it("splits clients by a hash of their bg_client id, sets the cookie for new ones, tags the colour", () => {
            const text = renderProxyConfig(target, undefined, { canary }).text;
            assert.match(text, /upstream bluegreen_canary \{\s+server dev-green:8080 max_fails=0;/);
            assert.match(
                text,
                /map \$cookie_bg_client \$bluegreen_client \{\s+"" \$request_id;\s+default \$cookie_bg_client;/,
            );
            assert.match(text, /split_clients "\$bluegreen_client" \$bluegreen_share \{\s+10% canary;\s+\* live;\s+\}/);
            assert.match(text, /canary green;\s+default blue;/);
            assert.match(text, /proxy_pass http:\/\/\$bluegreen_upstream;/);
            assert.match(
                text,
                /add_header X-Color \$bluegreen_color always;\s+add_header Set-Cookie \$bluegreen_set_cookie always;/,
            );
            assert.match(text, /"bg_client=\$request_id; Path=\/; Max-Age=31536000; SameSite=Lax; HttpOnly"/);
        });

        it("sends everyone at 100%, follows replicas on a swarm, and changes the version with the share", () => {
            assert.match(
                renderProxyConfig(target, undefined, { canary: { ...canary, percent: 100 } }).text,
                /split_clients "\$bluegreen_client" \$bluegreen_share \{\s+\* canary;\s+\}/,
            );
            const swarm = { previews: [] };
            assert.match(
                renderProxyConfig(target, swarm, { canary: { ...canary, host: "tasks.dev-green" } }).text,
                /zone bluegreen_canary 64k;\s+server tasks\.dev-green:8080 resolve/,
            );
            const versions = [10, 11, 50].map(
                (percent) => renderProxyConfig(target, undefined, { canary: { ...canary, percent } }).version,
            );
            assert.strictEqual(new Set([...versions, renderProxyConfig(target).version]).size, 4);
        });

        it("refuses shares and hosts that are not plain", () => {
            for (const percent of [0, 101, 1.5, NaN]) {
                assert.throws(
                    () => renderProxyConfig(target, undefined, { canary: { ...canary, percent } }),
                    /canary percent/,
                );
            }
            assert.throws(() => renderProxyConfig(target, undefined, { canary: { ...canary, host: "a;b" } }), /host/);
        });
    });

    describe("verification's answers log", () => {
        const target = { color: "green" as const, host: "dev-green", port: 8080 };

        it("logs each answer with the colour while the marker exists, in every public server", () => {
            const text = renderProxyConfig(target, undefined, { verify: true, tls: undefined }).text;
            assert.match(
                text,
                /log_format bluegreen_answers '\$msec green \$status \$request_time \$upstream_status';/,
            );
            assert.match(
                text,
                /if \(-f \/var\/log\/bluegreen\/verifying\) \{\s+set \$bluegreen_verifying 1;\s+\}\s+access_log \/var\/log\/bluegreen\/answers\.log bluegreen_answers if=\$bluegreen_verifying;/,
            );
            const tls = {
                certificate: "/etc/nginx/bluegreen-files/a.crt",
                key: "/etc/nginx/bluegreen-files/a.key",
                redirect: false,
                httpsPort: 8443,
            };
            const both = renderProxyConfig(target, undefined, { verify: true, tls }).text;
            assert.strictEqual(both.match(/access_log \/var\/log\/bluegreen/g)?.length, 2);
            assert.doesNotMatch(renderProxyConfig(target).text, /bluegreen_answers|verifying/);
            assert.notStrictEqual(
                renderProxyConfig(target, undefined, { verify: true }).version,
                renderProxyConfig(target).version,
            );
        });

        it("with a canary, logs the colour each client was sent to, and says the share at the version endpoint", () => {
            const canary = { percent: 10, color: "blue" as const, host: "dev-blue" };
            const rendered = renderProxyConfig(target, undefined, { verify: true, canary });
            assert.match(rendered.text, /log_format bluegreen_answers '\$msec \$bluegreen_color \$status/);
            assert.ok(rendered.text.includes(`return 200 "${rendered.version} green canary 10 blue\\n";`));
            assert.deepStrictEqual(parseVersionBody(`${rendered.version} green canary 10 blue\n`), {
                version: rendered.version,
                color: "green",
                canary: { percent: 10, color: "blue" },
            });
            assert.strictEqual(parseVersionBody(`${rendered.version} green canary 10 red\n`), undefined);
        });
    });
});
