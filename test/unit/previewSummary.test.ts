import * as assert from "assert";
import {
    COMMENT_MARKER,
    isAppPart,
    PreviewJson,
    renderMarkdown,
    renderText,
    summarizePreview,
} from "../../scripts/previewSummary";

const URN = "urn:pulumi:dev::bluegreen::bluegreen:index:App$pulumi-nodejs:dynamic:Resource::";
const deployed = { liveColor: "blue", blueImage: "app:1", greenImage: "app:1", publicUrl: "http://127.0.0.1:8080" };

function guardStep(op: string, news: Record<string, unknown>, olds = deployed) {
    return { op, urn: `${URN}dev-guard`, oldState: { inputs: olds }, newState: { inputs: news } };
}

describe("preview summary", () => {
    it("finds the app's guard and switch by their parent, whatever the app is called (and in older previews)", () => {
        const app = "urn:pulumi:dev::bluegreen::bluegreen:index:App$pulumi-nodejs:dynamic:Resource::";
        assert.ok(isAppPart(`${app}web-guard`, "guard"));
        assert.ok(isAppPart(`${app}dev-switch`, "switch"));
        const service = "urn:pulumi:dev::bluegreen::bluegreen:index:BlueGreenService$pulumi-nodejs:dynamic:Resource::";
        assert.ok(isAppPart(`${service}dev-guard`, "guard"), "a preview made before the Proxy/App API");
        assert.ok(!isAppPart(`${app}web-switch`, "guard"));
        const slot =
            "urn:pulumi:dev::bluegreen::bluegreen:index:App$bluegreen:index:ColorSlot$pulumi-nodejs:dynamic:Resource::";
        assert.ok(!isAppPart(`${slot}web-blue-guard`, "guard"), "not a colour slot's child");
        assert.ok(!isAppPart("urn:pulumi:dev::mine::my:index:Thing$pulumi-nodejs:dynamic:Resource::x-guard", "guard"));
    });

    it("shows the values of a bridged provider's top-level diff reasons (docker-provider)", () => {
        const DOCKER = "urn:pulumi:dev::bluegreen::bluegreen:index:ColorSlot$docker:index/";
        const preview: PreviewJson = {
            steps: [
                {
                    op: "replace",
                    urn: `${DOCKER}remoteImage:RemoteImage::dev-green-image`,
                    oldState: { inputs: { name: "app:1", keepLocally: true } },
                    newState: { inputs: { name: "app:2", keepLocally: true } },
                    diffReasons: ["name"],
                },
                {
                    op: "replace",
                    urn: `${DOCKER}container:Container::dev-green-container`,
                    oldState: { inputs: { image: "sha256:1", ports: [{ external: 1 }] } },
                    newState: { inputs: { image: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", ports: [{ external: 2 }] } },
                    diffReasons: ["image", "ports[0].external"],
                },
            ],
        };
        assert.deepStrictEqual(
            summarizePreview(preview).changes.map((c) => c.keys),
            [["name: app:1 -> app:2"], ["image: sha256:1 -> (computed)", "ports[0].external"]],
        );
    });

    it("summarizes a release with the steps that change", () => {
        const preview: PreviewJson = {
            steps: [
                guardStep("update", { ...deployed, liveColor: "green", greenImage: "app:2" }),
                { op: "replace", urn: `${URN}dev-green-container`, diffReasons: ["image"] },
                { op: "create-replacement", urn: `${URN}dev-green-container` },
                { op: "update", urn: `${URN}dev-green-health`, diffReasons: ["containerId", "live"] },
                { op: "update", urn: `${URN}dev-switch`, diffReasons: ["color", "configVersion", "host"] },
                { op: "same", urn: `${URN}dev-proxy-container` },
            ],
        };
        const summary = summarizePreview(preview);
        assert.strictEqual(summary.ok, true);
        assert.strictEqual(
            summary.headline,
            "release: green app:1 -> app:2; traffic blue -> green; blue stays on app:1 as standby",
        );
        assert.deepStrictEqual(
            summary.changes.map((c) => `${c.op} ${c.resource}`),
            ["update dev-guard", "replace dev-green-container", "update dev-green-health", "update dev-switch"],
        );
        assert.strictEqual(
            renderText(summary),
            [
                "release: green app:1 -> app:2; traffic blue -> green; blue stays on app:1 as standby",
                "  update   dev-guard (greenImage: app:1 -> app:2, liveColor: blue -> green)",
                "  replace  dev-green-container (image)",
                "  update   dev-green-health (containerId, live)",
                "  update   dev-switch (color, configVersion, host)",
            ].join("\n"),
        );
    });

    it("describes input changes when the engine gives no reasons", () => {
        const summary = summarizePreview({
            steps: [
                guardStep("update", { ...deployed, liveColor: "green", greenImage: "app:2" }),
                {
                    op: "update",
                    urn: `${URN}dev-green-health`,
                    oldState: { inputs: { live: false, containerId: "abc", __provider: "x" } },
                    newState: {
                        inputs: { live: true, containerId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", __provider: "y" },
                    },
                },
            ],
        });
        assert.deepStrictEqual(summary.changes, [
            {
                resource: "dev-guard",
                op: "update",
                keys: ["greenImage: app:1 -> app:2", "liveColor: blue -> green"],
            },
            {
                resource: "dev-green-health",
                op: "update",
                keys: ["containerId: abc -> (computed)", "live: false -> true"],
            },
        ]);
    });

    it("says rollback-style switches and no change", () => {
        const rollback = summarizePreview({ steps: [guardStep("update", { ...deployed, liveColor: "green" })] });
        assert.strictEqual(rollback.headline, "switch: traffic blue -> green (green runs app:1)");
        const none = summarizePreview({ steps: [guardStep("same", deployed)] });
        assert.deepStrictEqual([none.ok, none.headline, none.changes], [true, "no change", []]);
    });

    it("says what changes at the edge: maintenance and HTTPS, alone or with a release", () => {
        const switchStep = (olds: Record<string, unknown>, news: Record<string, unknown>) => ({
            op: "update",
            urn: `${URN}dev-switch`,
            oldState: { inputs: { color: "blue", ...olds } },
            newState: { inputs: { color: "blue", ...news } },
        });
        const maintenance = { message: "Soon.", healthPath: "/healthz" };
        const tls = (fingerprint: string) => ({
            certificate: `/etc/nginx/bluegreen-files/${fingerprint}.crt`,
            key: `/etc/nginx/bluegreen-files/${fingerprint}.key`,
            redirect: true,
        });
        const headline = (olds: Record<string, unknown>, news: Record<string, unknown>) =>
            summarizePreview({ steps: [switchStep(olds, news)] }).headline;
        assert.strictEqual(
            headline({}, { maintenance }),
            "maintenance on: nginx answers 503 for every path but /healthz",
        );
        assert.strictEqual(headline({ maintenance }, {}), "maintenance off: nginx serves the live colour again");
        assert.strictEqual(headline({}, { tls: tls("0123456789abcdef") }), "https on (certificate 0123456789abcdef)");
        assert.strictEqual(
            headline({ tls: tls("0123456789abcdef") }, { tls: tls("fedcba9876543210"), maintenance }),
            "maintenance on: nginx answers 503 for every path but /healthz; " +
                "https: new certificate 0123456789abcdef -> fedcba9876543210",
        );
        assert.strictEqual(headline({ tls: tls("0123456789abcdef") }, {}), "https off");
        const acme = { certificate: "/etc/nginx/bluegreen-acme/bundle.pem", acmeChallenge: "127.0.0.1:8402" };
        assert.strictEqual(headline({}, { tls: acme }), "https on (certificate from ACME)");
        assert.strictEqual(
            headline({ maintenance }, { maintenance: { ...maintenance, message: "Later." } }),
            "changes outside the release (see below)",
        );
        const withRelease = summarizePreview({
            steps: [guardStep("update", { ...deployed, liveColor: "green" }), switchStep({}, { maintenance })],
        });
        assert.strictEqual(
            withRelease.headline,
            "switch: traffic blue -> green (green runs app:1); maintenance on: nginx answers 503 for every path but /healthz",
        );
    });

    it("says when a switch will be verified, and when verification turns on or off", () => {
        const verification = { seconds: 30, maxErrorRate: 0.01, minRequests: 20, images: {} };
        const step = (olds: Record<string, unknown>, news: Record<string, unknown>) => ({
            op: "update",
            urn: `${URN}dev-switch`,
            oldState: { inputs: { color: "blue", ...olds } },
            newState: { inputs: { color: "blue", ...news } },
        });
        const release = (news: Record<string, unknown>) =>
            summarizePreview({ steps: [guardStep("update", { ...deployed, liveColor: "green" }), step({}, news)] })
                .headline;
        assert.strictEqual(
            release({ color: "green", verification }),
            "switch: traffic blue -> green (green runs app:1); then verified for 30 s (undone over 1.0% 5xx)",
        );
        assert.match(
            release({ color: "green", verification: { ...verification, maxP99Ms: 250 } }),
            /or a p99 over 250 ms\)$/,
        );
        const edge = (olds: Record<string, unknown>, news: Record<string, unknown>) =>
            summarizePreview({ steps: [step(olds, news)] }).headline;
        assert.strictEqual(edge({}, { verification }), "verification on: 30 s after each switch, over 1.0% 5xx");
        assert.strictEqual(edge({ verification }, {}), "verification off");
        const canary = { percent: 10, color: "green", host: "dev-green" };
        assert.strictEqual(
            edge({ verification }, { verification, canary }),
            "then verified for 30 s (undone over 1.0% 5xx)",
        );
        assert.strictEqual(
            edge({ verification, canary }, { verification, canary }),
            "changes outside the release (see below)",
        );
    });

    it("corrects the live colour with what nginx serves", () => {
        // Config says green is live (a failed release) but nginx serves blue.
        const olds = { ...deployed, liveColor: "green", greenImage: "app:bad" };
        const summary = summarizePreview(
            { steps: [guardStep("update", { ...olds, liveColor: "green", greenImage: "app:2" }, olds)] },
            "blue",
        );
        assert.match(summary.headline, /^release: green app:bad -> app:2; traffic blue -> green/);
    });

    it("reports the guard's refusal and config errors as failures", () => {
        const refused = summarizePreview({
            diagnostics: [
                {
                    severity: "error",
                    message:
                        "pulumi-nodejs:dynamic:Resource resource 'dev-guard': property blueImage value {app:2} has a problem: refused: blueImage changed (app:1 -> app:2) but blue is live, so ...\n",
                },
                { severity: "error", message: "preview failed" },
            ],
        });
        assert.strictEqual(refused.ok, false);
        assert.match(refused.headline, /^refused: blueImage changed \(app:1 -> app:2\) but blue is live/);
        const bad = summarizePreview({
            diagnostics: [
                { severity: "error", message: 'bluegreen:publicPort must be an integer from 1 to 65535 (got "x")\n' },
            ],
        });
        assert.deepStrictEqual(
            [bad.ok, bad.headline],
            [false, 'bluegreen:publicPort must be an integer from 1 to 65535 (got "x")'],
        );
    });

    it("renders a PR comment with a marker, the headline, a table and the full diff", () => {
        const summary = summarizePreview({
            steps: [
                guardStep("update", { ...deployed, liveColor: "green" }),
                { op: "update", urn: `${URN}dev-switch`, diffReasons: ["color"] },
            ],
        });
        const md = renderMarkdown(summary, "dev", "Previewing update (dev):\n  ~ dev-switch\n");
        assert.ok(md.startsWith(`${COMMENT_MARKER}\n### bluegreen preview: \`dev\``));
        assert.match(md, /\*\*switch: traffic blue -> green \(green runs app:1\)\*\*/);
        assert.match(md, /\| `dev-switch` \| update \| `color` \|/);
        assert.match(md, /<details><summary>pulumi preview --diff<\/summary>\n\n```\nPreviewing update \(dev\):/);
    });

    it("gives one part per app when the stack has several, by the apps' own serving colours", () => {
        const step = (op: string, name: string, olds: Record<string, unknown>, news: Record<string, unknown>) => ({
            op,
            urn: `${URN}${name}`,
            oldState: { inputs: olds },
            newState: { inputs: news },
        });
        const api = { liveColor: "blue", blueImage: "app:1", greenImage: "app:1" };
        const preview: PreviewJson = {
            steps: [
                step("update", "dev-api-guard", api, { ...api, greenImage: "app:2", liveColor: "green" }),
                { op: "replace", urn: `${URN}dev-api-green-container`, diffReasons: ["image"] },
                step("update", "dev-api-switch", { color: "blue" }, { color: "green" }),
                step(
                    "update",
                    "dev-shop-switch",
                    { color: "blue" },
                    { color: "blue", maintenance: { healthPath: "/health" } },
                ),
            ],
        };
        // The preview lists what changes; the stack's apps name the one that does not (dev).
        const stack = { name: "dev", apps: ["dev", "dev-api", "dev-shop"] };
        const summary = summarizePreview(preview, { dev: "blue", "dev-api": "blue", "dev-shop": "blue" }, stack);
        assert.ok(summary.ok);
        assert.strictEqual(
            summary.headline,
            "dev: unchanged; api: release: green app:1 -> app:2, traffic blue -> green, blue stays on app:1 as standby; " +
                "shop: maintenance on: nginx answers 503 for every path but /health",
        );
        // A refused release of one app makes the whole preview fail, still naming each app.
        const refused = summarizePreview(
            {
                steps: [step("update", "dev-api-guard", api, { ...api, blueImage: "app:9" })],
            },
            { dev: "blue", "dev-api": "blue" },
            { name: "dev", apps: ["dev", "dev-api"] },
        );
        assert.strictEqual(refused.ok, false);
        assert.match(refused.headline, /^dev: unchanged; api: refused: /);
    });
});
