import * as assert from "assert";
import { DEFAULTS, parseSettings, parseStack, validateStackName } from "../../components/core/config";
import { validateImage } from "../../components/core/validate";
import { ConfigError } from "../../components/core/configError";

const BASE: Record<string, string> = {
    liveColor: "blue",
    blueImage: "bluegreen-sample:1",
    greenImage: "bluegreen-sample:1",
};

function parse(overrides: Record<string, string | undefined>) {
    const values: Record<string, string | undefined> = { ...BASE, ...overrides };
    return parseSettings((key) => values[key]);
}

function rejects(overrides: Record<string, string | undefined>, pattern: RegExp): void {
    assert.throws(
        () => parse(overrides),
        (err: unknown) => {
            assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
            assert.match(err.message, pattern);
            assert.ok(!err.message.includes("\n"), `message must be one line: ${JSON.stringify(err.message)}`);
            return true;
        },
    );
}

describe("config validation", () => {
    it("applies the documented defaults", () => {
        const s = parse({});
        assert.deepStrictEqual(
            {
                publicPort: s.publicPort,
                bluePort: s.bluePort,
                greenPort: s.greenPort,
                appPort: s.appPort,
                healthPath: s.healthPath,
                healthTimeoutSeconds: s.healthTimeoutSeconds,
                healthIntervalMs: s.healthIntervalMs,
                healthyThreshold: s.healthyThreshold,
                proxyImage: s.proxyImage,
                engine: s.engine,
                orchestrator: s.orchestrator,
                replicas: s.replicas,
                httpsPort: s.httpsPort,
                tlsRedirect: "on",
                maintenance: s.maintenance.on ? "on" : "off",
                maintenanceMessage: s.maintenance.message,
                tlsAcmeDirectory: DEFAULTS.tlsAcmeDirectory,
                acmeImage: DEFAULTS.acmeImage,
                canaryPercent: s.canaryPercent,
                verifySeconds: s.verification.seconds,
                maxErrorRate: s.verification.maxErrorRate,
                minRequests: s.verification.minRequests,
                hosts: s.route.hosts.join(","),
                pathPrefix: s.route.pathPrefix,
                stripPathPrefix: s.route.stripPathPrefix ? "on" : "off",
                apps: JSON.stringify(Object.fromEntries(parseStack((key) => BASE[key]).apps)),
            },
            { ...DEFAULTS },
        );
        assert.strictEqual(s.verification.maxP99Ms, undefined);
        assert.strictEqual(s.tls, undefined);
        assert.strictEqual(s.smokeTest, undefined);
    });

    it("reads every key", () => {
        const s = parse({
            liveColor: "green",
            greenImage: "registry.example:5000/team/app:v2.1",
            publicPort: "9000",
            bluePort: "9001",
            greenPort: "9002",
            appPort: "3000",
            healthPath: "/healthz",
            healthTimeoutSeconds: "5",
            healthIntervalMs: "100",
            healthyThreshold: "2",
            proxyImage: "bluegreen-nginx:local",
            smokeTest: "curl -fsS $TARGET_URL/",
        });
        assert.strictEqual(s.liveColor, "green");
        assert.strictEqual(s.greenImage, "registry.example:5000/team/app:v2.1");
        assert.deepStrictEqual([s.publicPort, s.bluePort, s.greenPort, s.appPort], [9000, 9001, 9002, 3000]);
        assert.deepStrictEqual([s.healthTimeoutSeconds, s.healthIntervalMs, s.healthyThreshold], [5, 100, 2]);
        assert.strictEqual(s.smokeTest, "curl -fsS $TARGET_URL/");
    });

    it("treats an empty smokeTest as unset", () => {
        assert.strictEqual(parse({ smokeTest: "" }).smokeTest, undefined);
    });

    it("rejects an unknown colour, naming the key and the allowed values", () => {
        rejects({ liveColor: "red" }, /^bluegreen:liveColor must be one of: blue, green \(got "red"\)$/);
        rejects({ liveColor: "Blue" }, /liveColor/);
    });

    it("rejects missing required keys with the command to set them", () => {
        rejects({ blueImage: undefined }, /bluegreen:blueImage is not set.*pulumi config set blueImage/);
    });

    for (const bad of ["app:1 ", "app;rm -rf /", "app{1}", "app}", 'app"1', "app'1", "app\n1", "APP:1", "", ":1"]) {
        it(`rejects the image reference ${JSON.stringify(bad)}`, () => {
            rejects({ greenImage: bad }, /^bluegreen:greenImage must be a Docker image reference/);
        });
    }

    it("accepts real image references", () => {
        for (const ok of [
            "nginx",
            "nginx:1.28.0",
            "library/nginx:latest",
            "localhost:5000/a/b_c-d:1.0",
            "a.b/c@sha256:" + "a".repeat(64),
        ]) {
            assert.strictEqual(validateImage("blueImage", ok), ok);
        }
    });

    for (const [key, bad] of [
        ["publicPort", "0"],
        ["publicPort", "65536"],
        ["bluePort", "-1"],
        ["greenPort", "80a"],
        ["appPort", "1e3"],
        ["appPort", " 80"],
        ["healthTimeoutSeconds", "0"],
        ["healthIntervalMs", "0"],
        ["healthyThreshold", "0"],
        ["healthyThreshold", "-3"],
    ]) {
        it(`rejects ${key}=${JSON.stringify(bad)}`, () => {
            rejects({ [key]: bad }, new RegExp(`^bluegreen:${key} must be an integer from \\d+ to \\d+`));
        });
    }

    it("rejects equal ports", () => {
        rejects({ bluePort: "8080" }, /bluegreen:bluePort must differ from bluegreen:publicPort/);
        rejects({ greenPort: "8081" }, /bluegreen:greenPort must differ from bluegreen:bluePort/);
    });

    it("rejects health paths that could change nginx or the URL", () => {
        for (const bad of ["health", "/health?x=1", "/a b", "/a;b", "/a{b", "/%2e"]) {
            rejects({ healthPath: bad }, /^bluegreen:healthPath must be a URL path/);
        }
    });

    it("rejects a multi-line smoke test", () => {
        rejects({ smokeTest: "true\nrm -rf /" }, /^bluegreen:smokeTest must be a non-empty one-line shell command/);
    });

    it("keeps hostile values on one short line in the message", () => {
        rejects({ blueImage: "x\n".repeat(500) }, /\(got "x\\nx\\n.*\.\.\."\)$/);
    });

    it("checks stack names used for Docker names", () => {
        assert.strictEqual(validateStackName("dev"), "dev");
        assert.throws(() => validateStackName("-dev"), ConfigError);
        assert.throws(() => validateStackName("a/b"), ConfigError);
    });

    it("takes a canary share from 0 to 100", () => {
        assert.strictEqual(parse({ canaryPercent: "10" }).canaryPercent, 10);
        assert.strictEqual(parse({ canaryPercent: "100" }).canaryPercent, 100);
        for (const canaryPercent of ["101", "-1", "5.5", "ten", ""]) {
            rejects({ canaryPercent }, /^bluegreen:canaryPercent must be an integer from 0 to 100/);
        }
    });

    it("takes verification settings, each checked against its allowed values", () => {
        const v = parse({
            verifySeconds: "30",
            maxErrorRate: "0.05",
            minRequests: "100",
            maxP99Ms: "250",
        }).verification;
        assert.deepStrictEqual(v, { seconds: 30, maxErrorRate: 0.05, minRequests: 100, maxP99Ms: 250 });
        assert.strictEqual(parse({ maxErrorRate: "1" }).verification.maxErrorRate, 1);
        assert.strictEqual(parse({ maxErrorRate: "0" }).verification.maxErrorRate, 0);
        assert.strictEqual(parse({ maxP99Ms: "" }).verification.maxP99Ms, undefined);
        for (const maxErrorRate of ["1.5", "-0.1", "1%", "1e-2", "", " 0.1", "0.1234567"]) {
            rejects(
                { maxErrorRate },
                /^bluegreen:maxErrorRate must be a decimal from 0 to 1, like 0\.01 for 1% \(got /,
            );
        }
        rejects({ verifySeconds: "3601" }, /^bluegreen:verifySeconds must be an integer from 0 to 3600/);
        rejects({ minRequests: "0" }, /^bluegreen:minRequests must be an integer from 1 to 1000000/);
        rejects({ maxP99Ms: "fast" }, /^bluegreen:maxP99Ms must be an integer from 1 to 600000/);
    });
});
