// Several apps in one nginx config (core/nginx/apps.ts): the records each switch leaves, the config
// rendered from them, and an app alone keeping the config (and the version) it had before.
import * as assert from "assert";
import {
    appKey,
    type AppRecord,
    readRecords,
    recordVersion,
    renderApps,
    unrecordedApp,
} from "../../components/core/nginx/apps";
import { renderProxyConfig } from "../../components/core/nginx";
import { NO_APP_BODY } from "../../components/core/nginx/routes";

const alone: AppRecord = { app: "shop", target: { color: "green", host: "shop-green", port: 8080 }, edge: {} };
const web: AppRecord = {
    ...alone,
    app: "web",
    target: { color: "blue", host: "web-blue", port: 8080 },
    route: { hosts: [], pathPrefix: "/", stripPathPrefix: true },
};
const api: AppRecord = {
    app: "api",
    target: { color: "green", host: "api-green", port: 9000 },
    edge: {},
    route: { hosts: ["api.example.com", "*.example.org"], pathPrefix: "/v1", stripPathPrefix: true },
};
const TLS = {
    certificate: "/etc/nginx/bluegreen-files/0123456789abcdef.crt",
    key: "/etc/nginx/bluegreen-files/0123456789abcdef.key",
    redirect: true,
    httpsPort: 8443,
};

describe("several apps in one nginx config (core/nginx/apps.ts)", () => {
    it("renders an app alone, claiming every request, exactly as before, with its record after", () => {
        const before = renderProxyConfig(alone.target, undefined, alone.edge);
        const { text } = renderApps([alone], undefined);
        assert.ok(text.startsWith(before.text), "the config of before, unchanged");
        assert.deepStrictEqual(readRecords(text), [alone]);
        assert.strictEqual(recordVersion(alone), before.version, "the same version: no diff for a deployed stack");
    });

    it("routes several apps, each upstream and version endpoint its own, records sorted by app", () => {
        const { text } = renderApps([web, api], undefined);
        assert.deepStrictEqual(
            readRecords(text).map((r) => r.app),
            ["api", "web"],
        );
        assert.match(text, /server api-green:9000 max_fails=0;/);
        assert.match(text, /server web-blue:8080 max_fails=0;/);
        assert.match(text, /server_name api\.example\.com;/);
        assert.match(text, /server_name \*\.example\.org;/);
        assert.match(text, /listen 80 default_server;\n {8}server_name _;/);
        assert.ok(text.includes(`location = /v1/__bluegreen/version {`));
        assert.ok(text.includes(`return 200 "${recordVersion(api)} green\\n";`));
        assert.ok(text.includes(`return 200 "${recordVersion(web)} blue\\n";`));
        // The prefix is taken off: `/v1/x` reaches the app as `/x`, and it is told the prefix.
        assert.match(text, /location \/v1\/ \{\n {12}proxy_pass http:\/\/bluegreen_app_[0-9a-f]{12};/);
        assert.ok(text.includes("rewrite ^/v1/?(.*)$ /$1 break;"));
        assert.match(text, /proxy_set_header X-Forwarded-Prefix \/v1;/);
        // api's hosts claim only /v1: the rest of them is the proxy's 404.
        assert.ok(text.includes(JSON.stringify(NO_APP_BODY)));
    });

    it("keeps the prefix when stripPathPrefix is off", () => {
        const kept: AppRecord = { ...api, route: { ...api.route!, stripPathPrefix: false } };
        const { text } = renderApps([kept], undefined);
        assert.match(text, /location \/v1\/ \{\n {12}proxy_pass http:\/\/bluegreen_app_[0-9a-f]{12};/);
        assert.ok(!text.includes("X-Forwarded-Prefix"));
        assert.ok(!text.includes("rewrite"));
        assert.notStrictEqual(recordVersion(kept), recordVersion(api), "a route change is a new version");
    });

    it("gives each app a version of its own: another app's change leaves it as it was", () => {
        const released: AppRecord = { ...api, target: { ...api.target, color: "blue", host: "api-blue" } };
        assert.notStrictEqual(recordVersion(released), recordVersion(api));
        const withApi = renderApps([web, api], undefined).text;
        const withReleased = renderApps([web, released], undefined).text;
        for (const text of [withApi, withReleased]) {
            assert.ok(text.includes(`return 200 "${recordVersion(web)} blue\\n";`));
        }
        // The same record, whatever the order of its keys.
        const reordered = JSON.parse(
            JSON.stringify({ route: api.route, edge: api.edge, target: api.target, app: api.app }),
        );
        assert.strictEqual(recordVersion(reordered), recordVersion(api));
    });

    it("refuses two apps claiming the same requests, naming both", () => {
        const clash: AppRecord = { ...api, app: "api2", target: { ...api.target, host: "api2-green" } };
        assert.throws(
            () => renderApps([api, clash], undefined),
            /App "api" and App "api2" both claim api\.example\.com with path prefix \/v1: one app per host and prefix/,
        );
        assert.throws(
            () => renderApps([web, { ...web, app: "other" }], undefined),
            /App "other" and App "web" both claim no host/,
        );
    });

    it("with HTTPS and a redirect, plain HTTP keeps only the version endpoints and redirects the rest", () => {
        const { text } = renderApps([web, api], TLS);
        const [http, https] = [text.indexOf("listen 80 default_server"), text.indexOf("listen 443 ssl default_server")];
        assert.ok(http > 0 && https > http, "plain servers, then TLS servers");
        const plain = text.slice(http, https);
        assert.ok(!plain.includes("proxy_pass"), "plain HTTP proxies nothing");
        assert.match(plain, /return 301 https:\/\/\$host:8443\$request_uri;/);
        assert.ok(plain.includes("location = /v1/__bluegreen/version {"));
        assert.match(text.slice(https), /ssl_certificate \/etc\/nginx\/bluegreen-files\/0123456789abcdef\.crt;/);
        assert.match(text.slice(https), /proxy_pass http:\/\/bluegreen_app_/);
    });

    it("serves an app's own certificate on the servers of its hosts (SNI), the proxy's everywhere else", () => {
        const own = {
            certificate: "/etc/nginx/bluegreen-files/fedcba9876543210.crt",
            key: "/etc/nginx/bluegreen-files/fedcba9876543210.key",
        };
        const { text } = renderApps([web, { ...api, hostTls: own }], { ...TLS, redirect: false });
        const servers = text.split("\n    server {").slice(1);
        const tlsOf = (name: string) => {
            const server = servers.find((b) => b.includes("listen 443 ssl") && b.includes(`server_name ${name};`));
            assert.ok(server, `an HTTPS server for ${name}`);
            return /ssl_certificate (\S+);\n\s+ssl_certificate_key (\S+);/.exec(server)!.slice(1);
        };
        assert.deepStrictEqual(tlsOf("api.example.com"), [own.certificate, own.key]);
        assert.deepStrictEqual(tlsOf("*.example.org"), [own.certificate, own.key]);
        assert.deepStrictEqual(tlsOf("_"), [TLS.certificate, TLS.key], "the default server keeps the proxy's");
        assert.notStrictEqual(
            recordVersion({ ...api, hostTls: own }),
            recordVersion(api),
            "a new certificate is a new version",
        );
        assert.throws(
            () =>
                renderApps(
                    [
                        { ...api, hostTls: own },
                        {
                            ...web,
                            app: "docs",
                            route: { hosts: ["api.example.com"], pathPrefix: "/docs", stripPathPrefix: true },
                            hostTls: { certificate: TLS.certificate, key: TLS.key },
                        },
                    ],
                    TLS,
                ),
            /^Error: App "api" and App "docs" claim the same host with different certificates: a host has one certificate$/,
        );
        assert.throws(
            () => renderApps([web, { ...api, hostTls: { certificate: "/etc/x.crt;\n", key: own.key } }], TLS),
            /TLS file paths must be plain absolute paths/,
        );
    });

    it("redirects plain HTTP per app: an app's own setting beats the proxy's, the others are served", () => {
        const on = { ...TLS, redirect: true };
        const off = { ...TLS, redirect: false };
        const plainPart = (text: string) => text.slice(0, text.indexOf("listen 443 ssl"));
        // The proxy redirects, api does not: api's prefix is served over HTTP, web's `/` redirected.
        const apiServed = plainPart(
            renderApps(
                [
                    { ...web, edge: { tls: on } },
                    { ...api, edge: { tls: off } },
                ],
                on,
            ).text,
        );
        assert.match(apiServed, /location \/v1\/ \{\n[^}]*proxy_pass http:\/\/bluegreen_app_/);
        assert.match(
            apiServed,
            /server_name _;\n[\s\S]*?location \/ \{\n\s+return 301 https:\/\/\$host:8443\$request_uri;/,
        );
        // The proxy does not redirect, api does: only api's prefix redirects; web is served.
        const apiRedirects = plainPart(
            renderApps(
                [
                    { ...web, edge: { tls: off } },
                    { ...api, edge: { tls: on } },
                ],
                off,
            ).text,
        );
        assert.match(apiRedirects, /location \/v1\/ \{\n\s+return 301 https:\/\/\$host:8443\$request_uri;/);
        assert.match(apiRedirects, /location = \/v1\/__bluegreen\/version \{/, "its version endpoint stays on HTTP");
        assert.match(apiRedirects, /server_name _;\n[\s\S]*?location \/ \{\n[^}]*proxy_pass/);
        assert.match(apiRedirects, /server_name api\.example\.com;[\s\S]*?return 404/, "what no app claims: the 404");
        // The same setting everywhere: plain HTTP keeps the version endpoints and redirects the rest as one.
        const same = plainPart(
            renderApps(
                [
                    { ...web, edge: { tls: on } },
                    { ...api, edge: { tls: on } },
                ],
                on,
            ).text,
        );
        assert.ok(!same.includes("proxy_pass"), "nothing proxied over plain HTTP");
        assert.ok(!/location \/v1\/ \{/.test(same), "no redirect per prefix");
        assert.strictEqual(same.match(/return 301/g)?.length, 3, "one redirect per server");
    });

    it("serves maintenance per app, under its prefix, with its health path still proxied", () => {
        const down: AppRecord = { ...api, edge: { maintenance: { message: "Back soon.", healthPath: "/health" } } };
        const { text } = renderApps([web, down], undefined);
        assert.match(text, /location = \/v1\/health \{\n {12}proxy_pass http:\/\/bluegreen_app_[0-9a-f]{12};/);
        assert.match(text, /location \/v1\/ \{\n[^}]*return 503 "Back soon\.\\n";/);
        assert.ok(!/location \/ \{\n[^}]*return 503/.test(text), "web is not in maintenance");
    });

    it("gives each app its own canary split and answers log; the client's id maps come once", () => {
        const canaried: AppRecord = {
            ...api,
            edge: { canary: { percent: 10, color: "blue", host: "api-blue" }, verify: true },
        };
        const verified: AppRecord = { ...web, edge: { verify: true } };
        const { text } = renderApps([verified, canaried], undefined);
        const key = appKey("api");
        assert.strictEqual(text.split("map $cookie_bg_client $bluegreen_client {").length, 2, "client maps once");
        assert.ok(text.includes(`split_clients "$bluegreen_client" $bluegreen_share_${key} {\n        10% canary;`));
        assert.ok(text.includes(`proxy_pass http://$bluegreen_upstream_${key};`));
        assert.ok(
            text.includes(
                `access_log /var/log/bluegreen/answers-${key}.log bluegreen_answers_${key} if=$bluegreen_verifying_${key};`,
            ),
        );
        assert.ok(text.includes(`log_format bluegreen_answers_${key} '$msec $bluegreen_color_${key} $status`));
        assert.ok(text.includes(`log_format bluegreen_answers_${appKey("web")} '$msec blue $status`));
        assert.ok(text.includes(`return 200 "${recordVersion(canaried)} green canary 10 blue\\n";`));
        assert.ok(!text.includes("/var/log/bluegreen/answers.log"), "no app writes the proxy-wide log");
    });

    it("reads back the app a config of before several apps serves, to keep it while another joins", () => {
        const before = renderProxyConfig({ color: "green", host: "shop-green", port: 8080 }, undefined, {});
        assert.deepStrictEqual(unrecordedApp(before.text), {
            app: "shop",
            target: { color: "green", host: "shop-green", port: 8080 },
            edge: {},
        });
        assert.strictEqual(unrecordedApp(renderApps([alone], undefined).text), undefined, "a recorded config");
        assert.deepStrictEqual(readRecords(before.text), []);
    });

    it("refuses a malformed record in the config, and a record whose values nginx must not see", () => {
        const bad = `# bluegreen-app ${Buffer.from(JSON.stringify({ app: "a;b", target: {} })).toString("base64")}\n`;
        assert.throws(() => readRecords(bad), /malformed app record/);
        assert.throws(() => readRecords("# bluegreen-app bm90IGpzb24=\n"), /malformed app record/, "not JSON");
        const evil: AppRecord = { ...api, target: { ...api.target, host: "x;}" } };
        assert.throws(() => renderApps([web, evil], undefined), /proxy target host must be a container name/);
        const evilHost: AppRecord = { ...api, route: { ...api.route!, hosts: ["a.example.com;"] } };
        assert.throws(() => renderApps([evilHost], undefined), /hosts must be lower-case DNS names/);
    });
});
