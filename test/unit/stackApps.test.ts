// The stack config with several apps (core/config.ts parseStack, core/stackApps.ts): the flat keys
// keep meaning the stack's own app, `apps` adds more, and what they may not share is refused in
// one line naming the keys.
import * as assert from "assert";
import { parseStack } from "../../components/core/config";
import { ConfigError } from "../../components/core/configError";
import { stackAppCertificates } from "../../components/core/stackApps";
import { removeCertFiles, selfSigned } from "../support/certs";

const FLAT: Record<string, string> = {
    liveColor: "blue",
    blueImage: "bluegreen-sample:1",
    greenImage: "bluegreen-sample:1",
};
const API = {
    liveColor: "green",
    blueImage: "api:1",
    greenImage: "api:2",
    bluePort: 8083,
    greenPort: 8084,
    hosts: ["api.example.com"],
};

function parse(values: Record<string, string | undefined>, apps?: unknown) {
    const all: Record<string, string | undefined> = {
        ...values,
        apps: apps === undefined ? undefined : JSON.stringify(apps),
    };
    return parseStack((key) => all[key]);
}

function rejects(values: Record<string, string | undefined>, apps: unknown, pattern: RegExp): void {
    assert.throws(
        () => parse(values, apps),
        (err: unknown) => {
            assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
            assert.match(err.message, pattern);
            assert.ok(!err.message.includes("\n"), "one line");
            return true;
        },
    );
}

describe("stack config with several apps (apps)", () => {
    after(removeCertFiles);

    it("keeps the flat keys as the stack's own app, with no apps", () => {
        const s = parse(FLAT);
        assert.strictEqual(s.main?.liveColor, "blue");
        assert.strictEqual(s.apps.size, 0);
        assert.strictEqual(s.proxy.publicPort, 8080);
    });

    it("adds the apps of `apps`, reading numbers, booleans and lists", () => {
        const s = parse(FLAT, {
            api: { ...API, pathPrefix: "/v1", stripPathPrefix: false, maintenance: true, canaryPercent: 10 },
        });
        const api = s.apps.get("api")!;
        assert.strictEqual(s.main?.liveColor, "blue");
        assert.strictEqual(api.liveColor, "green");
        assert.strictEqual(api.greenImage, "api:2");
        assert.strictEqual(api.bluePort, 8083);
        assert.deepStrictEqual(api.route, { hosts: ["api.example.com"], pathPrefix: "/v1", stripPathPrefix: false });
        assert.strictEqual(api.maintenance.on, true);
        assert.strictEqual(api.canaryPercent, 10);
    });

    it("has no app of its own when only `apps` are set", () => {
        const s = parse(
            { publicPort: "9000" },
            { api: API, web: { ...API, hosts: [], bluePort: 8085, greenPort: 8086 } },
        );
        assert.strictEqual(s.main, undefined);
        assert.deepStrictEqual([...s.apps.keys()], ["api", "web"]);
        assert.strictEqual(s.proxy.publicPort, 9000);
    });

    it("names the app's key in its errors, and how to set it", () => {
        rejects(FLAT, { api: { ...API, greenImage: "bad image" } }, /^bluegreen:apps\.api\.greenImage must be /);
        rejects(
            FLAT,
            { api: { ...API, liveColor: undefined } },
            /bluegreen:apps\.api\.liveColor is not set: .*\(pulumi config set --path 'apps\.api\.liveColor' <value>\)$/,
        );
        rejects(
            FLAT,
            { api: { ...API, hosts: ["Bad_Host"] } },
            /^bluegreen:apps\.api\.hosts must be lower-case DNS names/,
        );
        rejects(
            FLAT,
            { api: { ...API, pathPrefix: "/api/" } },
            /^bluegreen:apps\.api\.pathPrefix must be \/ or a path like/,
        );
        rejects(
            FLAT,
            { api: { ...API, hosts: [{ x: 1 }] } },
            /^bluegreen:apps\.api\.hosts must be a string, a number, true\/false or a list of strings/,
        );
    });

    it("takes an app's own certificate and secret key for its hosts, naming the key when it cannot", () => {
        const pair = selfSigned({ names: ["DNS:api.example.com"] });
        const proxyTls = { tlsCertificate: pair.certificate, tlsKey: pair.key, tlsHostnames: "api.example.com" };
        const withTls = { api: { ...API, tlsCertificate: pair.certificate, tlsKey: pair.key } };
        const own = (apps: unknown, secret = true, values: Record<string, string> = { ...FLAT, ...proxyTls }) => {
            const raw = JSON.stringify(apps);
            const stack = parseStack((key) => (key === "apps" ? raw : values[key]));
            return stackAppCertificates(raw, stack.apps, stack.proxy.tls, secret, new Date());
        };
        assert.deepStrictEqual(own(withTls).get("api"), { certificate: pair.certificate, key: pair.key });
        assert.strictEqual(own({ api: API }).size, 0, "none: the proxy's");
        const refused = (run: () => unknown, pattern: RegExp) =>
            assert.throws(run, (err: unknown) => {
                assert.ok(err instanceof ConfigError, String(err));
                assert.match(err.message, pattern);
                assert.ok(!err.message.includes(pair.key.split("\n")[1]), "never the key");
                return true;
            });
        refused(
            () => own(withTls, false),
            /^bluegreen:apps\.api\.tlsKey must be set as a secret: pulumi config set --secret --path 'apps\.api\.tlsKey'/,
        );
        refused(
            () => own({ api: { ...withTls.api, hosts: ["other.example.com"] } }),
            /^bluegreen:apps\.api\.tlsCertificate does not cover bluegreen:apps\.api\.hosts entry other\.example\.com/,
        );
        refused(() => own(withTls, true, FLAT), /^bluegreen:apps\.api\.tlsCertificate needs HTTPS on the Proxy/);
        refused(
            () => own({ api: { ...API, tlsKey: pair.key } }),
            /^bluegreen:apps\.api\.tlsCertificate is missing: set tlsCertificate and tlsKey together/,
        );
    });

    it("takes HTTP to HTTPS per app, the flat key staying the proxy's", () => {
        const stack = parse(
            { ...FLAT, tlsRedirect: "off" },
            {
                api: { ...API, tlsRedirect: true },
                web: { ...API, bluePort: 8085, greenPort: 8086, hosts: ["web.example.com"] },
            },
        );
        assert.strictEqual(stack.apps.get("api")?.tlsRedirect, true);
        assert.strictEqual(stack.apps.get("web")?.tlsRedirect, undefined, "unset: the proxy's");
        rejects(FLAT, { api: { ...API, tlsRedirect: "sometimes" } }, /^bluegreen:apps\.api\.tlsRedirect must be /);
    });

    it("refuses bad app names, a list or text for `apps`, and logins per app", () => {
        rejects(FLAT, { Api: API }, /^bluegreen:apps\.Api: an app's name must be 1-31 lower-case letters/);
        rejects(FLAT, { proxy: API }, /not one of proxy, acme/);
        rejects(FLAT, [API], /^bluegreen:apps must be an object of apps/);
        rejects(FLAT, { api: "x" }, /^bluegreen:apps\.api must be an object of the app's settings/);
        rejects(
            FLAT,
            { api: { ...API, registryAuth: "{}" } },
            /registry logins are the stack's, for every app: pulumi config set --secret registryAuth/,
        );
    });

    it("refuses two apps claiming the same requests, or the same preview port, naming both", () => {
        rejects(
            FLAT,
            { api: { ...API, hosts: [] } },
            /^bluegreen:apps: the stack's own app and app api both claim no host/,
        );
        rejects(
            FLAT,
            { api: API, api2: { ...API, bluePort: 8085, greenPort: 8086 } },
            /^bluegreen:apps: app api and app api2 both claim api\.example\.com with path prefix \/: one app per host and prefix$/,
        );
        rejects(
            FLAT,
            { api: { ...API, bluePort: 8082 } },
            /^bluegreen:apps\.api\.bluePort must differ from bluegreen:greenPort \(both are 8082\)/,
        );
    });
});
