// Several apps behind one proxy (examples/several-apps), as a user installs the package: routed by
// host name and path prefix through real nginx, a second app added to a proxy that served one, one
// app released under load on every app, maintenance of one, a conflict refused at preview, an app
// taken off. The proxy container is never recreated; the other apps' containers never change.
import * as assert from "assert";
import { docker, dockerOk } from "../../components/runtime/docker";
import { Consumer, installExample } from "../support/consumer";
import { routedClient } from "../support/routed";
import { assertNoLossOnAll, underLoadOnAll } from "../support/load";
import { NO_APP_BODY } from "../../components/core/nginx/routes";
import { removeCertFiles, selfSigned } from "../support/certs";
import { curl, fingerprintOf, servedCertificate } from "../support/edge";

const PUBLIC_PORT = 19480;
const URL = `http://127.0.0.1:${PUBLIC_PORT}`;

/** What each app answers, as `<status> <body>`: by the sample's version, web 1, api 2, shop 3 (before releases). */
const { get, answer: versionAt } = routedClient(URL);

describe("several apps behind one proxy (examples/several-apps)", function () {
    this.timeout(900000);
    let program: Consumer;
    const stack = `apps${process.pid}`;
    const up = () => program.run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack]);
    const setPath = (key: string, value: string) =>
        program.run("pulumi", ["config", "set", "--path", key, value, "--stack", stack]);
    const ids = async (app: string) =>
        dockerOk(["ps", "-q", "--no-trunc", "--filter", `name=^${stack}-${app}-`, "--format", "{{.Names}} {{.ID}}"]);
    const proxyId = () => dockerOk(["inspect", "--format", "{{.Id}}", `${stack}-edge-proxy`]);
    const app = (name: string, port: number, image: string, extra: Record<string, string> = {}) => {
        for (const [key, value] of Object.entries({
            liveColor: "blue",
            blueImage: image,
            greenImage: image,
            bluePort: String(port),
            greenPort: String(port + 1),
            ...extra,
        })) {
            setPath(`apps.${name}.${key}`, value);
        }
    };

    before(() => {
        program = installExample("several-apps", stack);
        program.setConfig({ publicPort: String(PUBLIC_PORT), proxyImage: "bluegreen-nginx:local" });
    });

    after(async () => {
        if (program !== undefined) {
            program.attempt("pulumi", ["destroy", "--yes", "--non-interactive", "--stack", stack]);
            const left = await dockerOk(["ps", "-aq", "--filter", `name=^${stack}-`]);
            if (left !== "") await docker(["rm", "-f", ...left.split("\n")]);
            await docker(["network", "rm", `${stack}-edge-net`]);
            program.remove();
        }
        removeCertFiles();
    });

    it("adds two apps to a proxy that served one, under load on the first: 0 failed, its containers kept", async () => {
        app("web", PUBLIC_PORT + 2, "bluegreen-sample:1");
        up();
        assert.match(await versionAt("/"), /^200 version=1 /);
        const webBefore = await ids("web");
        const proxyBefore = await proxyId();
        app("api", PUBLIC_PORT + 4, "bluegreen-sample:2", { pathPrefix: "/api" });
        setPath("apps.api.hosts[0]", "app.test");
        app("shop", PUBLIC_PORT + 6, "bluegreen-sample:3");
        setPath("apps.shop.hosts[0]", "shop.test");
        setPath("apps.shop.hosts[1]", "*.shop.test");
        const added = await underLoadOnAll(URL, [{ path: "/" }], 15, async () => up());
        assertNoLossOnAll(added.load);
        assert.strictEqual(await ids("web"), webBefore, "web's containers kept");
        assert.strictEqual(await proxyId(), proxyBefore, "nginx's container kept");
    });

    it("routes by exact host, wildcard, path prefix (taken off) and default app; 404 for what no app claims", async () => {
        assert.match(await versionAt("/"), /^200 version=1 /, "no host: the default app");
        assert.match(await versionAt("/api/x", "unknown.test"), /^200 version=1 /, "an unknown host: the default app");
        assert.match(await versionAt("/api", "app.test"), /^200 version=2 /);
        assert.match(await versionAt("/api/orders?x=1", "app.test"), /^200 version=2 /);
        assert.strictEqual(await versionAt("/api/health", "app.test"), "200 ok", "the prefix is taken off");
        assert.strictEqual(await versionAt("/", "app.test"), `404 ${NO_APP_BODY.trim()}`, "no fall-through");
        assert.strictEqual(await versionAt("/apix", "app.test"), `404 ${NO_APP_BODY.trim()}`, "whole segments");
        assert.match(await versionAt("/", "shop.test"), /^200 version=3 /);
        assert.match(await versionAt("/cart", "eu.shop.test"), /^200 version=3 /, "the wildcard");
        assert.match(await versionAt("/", "SHOP.TEST:80"), /^200 version=3 /, "any case, with a port");
        assert.match(
            (await get("/api/__bluegreen/version", "app.test")).body,
            /^[0-9a-f]{12} blue\n$/,
            "each app's own version endpoint under its prefix",
        );
    });

    it("releases one app under load on every app: 0 failed, only its containers change", async () => {
        const webBefore = await ids("web");
        const shopBefore = await ids("shop");
        const proxyBefore = await proxyId();
        setPath("apps.api.greenImage", "bluegreen-sample:1");
        setPath("apps.api.liveColor", "green");
        const release = await underLoadOnAll(
            URL,
            [{ path: "/" }, { path: "/api/x", host: "app.test" }, { path: "/", host: "shop.test" }],
            20,
            async () => up(),
        );
        assertNoLossOnAll(release.load);
        assert.match(await versionAt("/api", "app.test"), /^200 version=1 /, "api released");
        assert.match(await versionAt("/"), /^200 version=1 /);
        assert.match(await versionAt("/", "shop.test"), /^200 version=3 /);
        assert.strictEqual(await ids("web"), webBefore);
        assert.strictEqual(await ids("shop"), shopBefore);
        assert.strictEqual(await proxyId(), proxyBefore);
        // The rollback: traffic back on api's blue, nothing else touched.
        setPath("apps.api.liveColor", "blue");
        up();
        assert.match(await versionAt("/api", "app.test"), /^200 version=2 /, "api rolled back");
        assert.strictEqual(await ids("shop"), shopBefore);
    });

    it("puts one app in maintenance; the others keep serving", async () => {
        setPath("apps.shop.maintenance", "true");
        up();
        const shop = await get("/", "shop.test");
        assert.strictEqual(shop.status, 503);
        assert.strictEqual((await get("/health", "shop.test")).body.trim(), "ok", "its health path still answers");
        assert.match(await versionAt("/"), /^200 version=1 /);
        assert.match(await versionAt("/api", "app.test"), /^200 version=2 /);
        setPath("apps.shop.maintenance", "false");
        up();
        assert.match(await versionAt("/", "shop.test"), /^200 version=3 /);
    });

    it("rolls back only the app whose release fails verification; the others never see a 5xx", async () => {
        const webBefore = await ids("web");
        const shopBefore = await ids("shop");
        setPath("apps.api.verifySeconds", "10");
        setPath("apps.api.minRequests", "20");
        setPath("apps.api.greenImage", "bluegreen-sample:failing");
        setPath("apps.api.liveColor", "green");
        const targets = [{ path: "/" }, { path: "/api/x", host: "app.test" }, { path: "/", host: "shop.test" }];
        const release = await underLoadOnAll(URL, targets, 28, async () =>
            program.attempt("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack]),
        );
        assert.notStrictEqual(release.result.code, 0, release.result.output);
        assert.match(
            release.result.output,
            /verification failed: green answered \d+ of \d+ requests with 5xx \(\d+\.\d% > 1\.0%\) in \d+ s; traffic returned to blue \(bluegreen-sample:2\)/,
        );
        const others = release.load.filter((l) => !l.target.includes("app.test"));
        assertNoLossOnAll(others);
        for (const l of release.load.filter((l) => l.target.includes("app.test"))) {
            assert.deepStrictEqual(l.errors, {}, `${l.method} api: no connection error`);
            assert.deepStrictEqual(Object.keys(l.statuses), ["500"], `${l.method} api: only the bad release's 500s`);
        }
        assert.match(await versionAt("/api", "app.test"), /^200 version=2 /, "api back on blue");
        assert.strictEqual(await ids("web"), webBefore);
        assert.strictEqual(await ids("shop"), shopBefore);
        // Config back to what serves, and verification off again.
        setPath("apps.api.liveColor", "blue");
        setPath("apps.api.greenImage", "bluegreen-sample:1");
        setPath("apps.api.verifySeconds", "0");
        up();
        assert.match(await versionAt("/api", "app.test"), /^200 version=2 /);
    });

    it("gives one app a canary share, sticky by cookie, leaving the others alone", async () => {
        setPath("apps.api.canaryPercent", "100");
        up();
        const canary = await get("/api/x", "app.test");
        assert.match(`${canary.status} ${canary.body}`, /^200 version=1 /, "all of api's clients to green");
        assert.match(String(canary.headers["set-cookie"]), /^bg_client=/);
        assert.match(
            (await get("/api/__bluegreen/version", "app.test")).body,
            /^[0-9a-f]{12} blue canary 100 green\n$/,
        );
        assert.match(await versionAt("/"), /^200 version=1 /);
        assert.strictEqual((await get("/")).headers["set-cookie"], undefined, "web has no canary");
        setPath("apps.api.canaryPercent", "0");
        up();
        assert.match(await versionAt("/api/x", "app.test"), /^200 version=2 /);
    });

    it("refuses at preview a host and prefix another app claims, naming both, touching nothing", async () => {
        const before = [await ids("web"), await ids("api"), await ids("shop"), await proxyId()];
        const conf = await dockerOk(["exec", `${stack}-edge-proxy`, "cat", "/etc/nginx/nginx.conf"]);
        setPath("apps.shop.hosts[2]", "app.test");
        setPath("apps.shop.pathPrefix", "/api");
        const preview = program.attempt("pulumi", ["preview", "--non-interactive", "--stack", stack]);
        assert.notStrictEqual(preview.code, 0);
        assert.match(
            preview.output,
            new RegExp(
                `Proxy "${stack}-edge": App "${stack}-api" and App "${stack}-shop" both claim app.test with path prefix /api: one app per host and prefix`,
            ),
        );
        const refused = program.attempt("pulumi", [
            "up",
            "--yes",
            "--skip-preview",
            "--non-interactive",
            "--stack",
            stack,
        ]);
        assert.notStrictEqual(refused.code, 0);
        assert.deepStrictEqual([await ids("web"), await ids("api"), await ids("shop"), await proxyId()], before);
        assert.strictEqual(await dockerOk(["exec", `${stack}-edge-proxy`, "cat", "/etc/nginx/nginx.conf"]), conf);
        program.run("pulumi", ["config", "rm", "--path", "apps.shop.hosts[2]", "--stack", stack]);
        program.run("pulumi", ["config", "rm", "--path", "apps.shop.pathPrefix", "--stack", stack]);
    });

    it("serves each host its app's own certificate by SNI, the proxy's elsewhere, HTTP to HTTPS per app; refuses a certificate that does not cover the hosts", async () => {
        const proxyPair = selfSigned({ commonName: "edge", names: ["DNS:localhost", "DNS:app.test"] });
        const shopPair = selfSigned({ commonName: "shop", names: ["DNS:shop.test", "DNS:*.shop.test"] });
        const set = (flags: string[], key: string, value: string) =>
            program.run("pulumi", ["config", "set", ...flags, "--stack", stack, key, "--", value]);
        set([], "tlsCertificate", proxyPair.certificate);
        set([], "tlsRedirect", "false"); // the load's clients send Host names no resolver knows
        set(["--secret"], "tlsKey", proxyPair.key);
        set(["--path"], "appTls.shop.certificate", shopPair.certificate);
        set(["--secret", "--path"], "appTls.shop.key", shopPair.key);
        const before = [await ids("web"), await ids("api"), await ids("shop"), await proxyId()];
        const on = await underLoadOnAll(
            URL,
            [{ path: "/" }, { path: "/api/x", host: "app.test" }, { path: "/", host: "shop.test" }],
            20,
            async () => up(),
        );
        assertNoLossOnAll(on.load);
        assert.deepStrictEqual([await ids("web"), await ids("api"), await ids("shop"), await proxyId()], before);
        const https = PUBLIC_PORT + 1;
        const served = (name: string) => servedCertificate(https, name).fingerprint;
        assert.strictEqual(served("shop.test"), fingerprintOf(shopPair.certificate), "shop.test: shop's own");
        assert.strictEqual(served("a.shop.test"), fingerprintOf(shopPair.certificate), "its wildcard too");
        assert.strictEqual(served("app.test"), fingerprintOf(proxyPair.certificate), "api has none: the proxy's");
        assert.strictEqual(
            served("other.test"),
            fingerprintOf(proxyPair.certificate),
            "the default server: the proxy's",
        );
        const shopOverHttps = curl("-k", "--resolve", `shop.test:${https}:127.0.0.1`, `https://shop.test:${https}/`);
        assert.match(shopOverHttps.output, /version=3 /);
        const state = program.run("pulumi", ["stack", "export", "--stack", stack], 120000);
        const keyLine = shopPair.key.split("\n").find((l) => l.length > 40)!;
        assert.ok(!state.includes(keyLine.slice(0, 40)), "the app's key is not in the state as plain text");

        // HTTP to HTTPS for shop alone (the proxy's tlsRedirect is off): only its hosts answer 301.
        setPath("apps.shop.tlsRedirect", "true");
        up();
        const redirected = curl("-i", "-H", "Host: shop.test", `${URL}/x?y=1`).output;
        assert.match(redirected, /^HTTP\/1\.1 301/);
        assert.match(redirected, new RegExp(`Location: https://shop\\.test:${https}/x\\?y=1`, "i"));
        assert.match(await versionAt("/api/x", "app.test"), /^200 version=2 /, "api is served over HTTP");
        assert.match(await versionAt("/"), /^200 version=1 /, "so is web");

        // A certificate that does not cover the app's hosts: refused at preview, in one line.
        set(["--path"], "appTls.api.certificate", shopPair.certificate);
        set(["--secret", "--path"], "appTls.api.key", shopPair.key);
        const preview = program.attempt("pulumi", ["preview", "--non-interactive", "--stack", stack]);
        assert.notStrictEqual(preview.code, 0);
        assert.match(
            preview.output,
            new RegExp(
                `App "${stack}-api": tlsCertificate does not cover App "${stack}-api": hosts entry app\\.test \\(it covers shop\\.test, \\*\\.shop\\.test\\)`,
            ),
        );
        program.run("pulumi", ["config", "rm", "--path", "appTls.api", "--stack", stack]);
    });

    it("takes an app off the proxy: its routes go, the others keep serving under load", async () => {
        const webBefore = await ids("web");
        program.run("pulumi", ["config", "rm", "--path", "apps.shop", "--stack", stack]);
        const removed = await underLoadOnAll(URL, [{ path: "/" }, { path: "/api/x", host: "app.test" }], 15, async () =>
            up(),
        );
        assertNoLossOnAll(removed.load);
        assert.strictEqual(await ids("shop"), "", "shop's containers gone");
        assert.match(await versionAt("/", "shop.test"), /^200 version=1 /, "shop.test now reaches the default app");
        assert.strictEqual(await ids("web"), webBefore);
    });
});
