// End to end: the real Pulumi CLI (Automation API), Docker and nginx, through every user path:
// deploy -> release -> rollback -> stage -> promote -> bad releases -> refusals -> destroy.
import * as assert from "assert";
import { docker, dockerOk } from "../../components/runtime/docker";
import { probe } from "../../components/runtime/probe";
import { assertNoLoss, expectFailure, underLoad } from "../support/load";
import { replacesContainer, TEST_ENGINE } from "../support/engine";
import { createTestStack, sampleConfig, runCli, runPulumi, TestStack } from "../support/stack";

const PUBLIC_PORT = 18080;
const URL = `http://127.0.0.1:${PUBLIC_PORT}`;
const HEALTH_TIMEOUT_SECONDS = 8;

async function serving(): Promise<{ body: string; color: unknown }> {
    const answer = await probe(`${URL}/`, 3000);
    return { body: answer.body, color: answer.headers["x-color"] };
}

/**
 * The health gate gives up at the timeout exactly; the whole `pulumi up` adds its fixed cost
 * (about 10 s on 2 cores under load: program, plugins, state writes, the container replacement).
 */
function assertBounded(failure: { message: string; seconds: number }): void {
    const gate = Number(/ after ([\d.]+)s /.exec(failure.message)?.[1]);
    assert.ok(gate >= HEALTH_TIMEOUT_SECONDS && gate < HEALTH_TIMEOUT_SECONDS + 1, `gate gave up after ${gate} s`);
    assert.ok(failure.seconds < HEALTH_TIMEOUT_SECONDS + 20, `pulumi up failed after ${failure.seconds} s`);
}

/** `npm run preview` for the test stack: exit code and its first line. */
function previewSummary(t: TestStack): { code: number; headline: string } {
    const result = runCli(t, "preview");
    return { code: result.code, headline: result.output.split("\n")[0] };
}

describe("end to end (real Pulumi, Docker, nginx)", function () {
    this.timeout(300000);
    let t: TestStack;
    let proxyId = "";

    before(async () => {
        t = await createTestStack("e2e", {
            ...sampleConfig(PUBLIC_PORT),
            healthTimeoutSeconds: String(HEALTH_TIMEOUT_SECONDS),
            healthIntervalMs: "200",
        });
    });

    after(async () => {
        await t?.cleanup();
    });

    it("deploys v1 on blue", async () => {
        const result = await t.stack.up();
        assert.strictEqual(result.summary.result, "succeeded");
        assert.strictEqual(result.outputs.liveColor.value, "blue");
        assert.strictEqual(result.outputs.standbyColor.value, "green");
        assert.strictEqual(result.outputs.url.value, URL);
        assert.match(result.outputs.proxyConfigVersion.value, /^[0-9a-f]{12}$/);
        // Without HTTPS there are no HTTPS outputs, so no "Undefined value" warning on every update.
        assert.ok(!("httpsUrl" in result.outputs) && !("certificate" in result.outputs));
        assert.doesNotMatch(result.stdout, /warning/i);
        const now = await serving();
        assert.match(now.body, /^version=1 /);
        assert.strictEqual(now.color, "blue");
        proxyId = await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-proxy`]);
    });

    it("releases v2 onto green with no failed request under GET and POST load", async () => {
        await t.setConfig({ greenImage: "bluegreen-sample:2", liveColor: "green" });
        assert.deepStrictEqual(previewSummary(t), {
            code: 0,
            headline:
                "release: green bluegreen-sample:1 -> bluegreen-sample:2; traffic blue -> green; " +
                "blue stays on bluegreen-sample:1 as standby",
        });
        const diff = runPulumi(t, "preview", "--diff").output;
        assert.match(diff, replacesContainer(`${t.name}-green-container`));
        assert.match(diff, /~ liveColor +: "blue" => "green"/);
        assert.match(diff, /~ liveImage +: "bluegreen-sample:1" => "bluegreen-sample:2"/);
        const { result, load } = await underLoad(`${URL}/`, 14, () => t.stack.up());
        assertNoLoss(load);
        assert.strictEqual(result.outputs.liveColor.value, "green");
        assert.strictEqual(result.outputs.liveImage.value, "bluegreen-sample:2");
        assert.strictEqual(result.outputs.standbyImage.value, "bluegreen-sample:1");
        const now = await serving();
        assert.match(now.body, /^version=2 /);
        assert.strictEqual(now.color, "green");
        assert.match((await probe(`http://127.0.0.1:${PUBLIC_PORT + 1}/`, 2000)).body, /^version=1 /, "blue stays up");
        const proxyNow = await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-proxy`]);
        assert.strictEqual(proxyNow, proxyId, "the proxy container was not recreated");
    });

    it("rolls back to blue with one pulumi up that replaces nothing", async () => {
        await t.setConfig({ liveColor: "blue" });
        assert.deepStrictEqual(previewSummary(t), {
            code: 0,
            headline: "switch: traffic green -> blue (blue runs bluegreen-sample:1)",
        });
        const diff = runPulumi(t, "preview", "--diff").output;
        assert.doesNotMatch(diff, /\(replace\)|\(create\)|\(delete\)/, "a rollback only reconfigures");
        assert.match(diff, /~ liveColor +: "green" => "blue"/);
        const result = await t.stack.up();
        assert.strictEqual(result.summary.resourceChanges?.replace ?? 0, 0);
        assert.strictEqual(result.summary.resourceChanges?.create ?? 0, 0);
        const now = await serving();
        assert.match(now.body, /^version=1 /);
        assert.strictEqual(now.color, "blue");
    });

    it("stages v3 on the idle colour without moving traffic", async () => {
        await t.setConfig({ greenImage: "bluegreen-sample:3" });
        assert.deepStrictEqual(previewSummary(t), {
            code: 0,
            headline: "stage: green bluegreen-sample:2 -> bluegreen-sample:3; traffic stays on blue",
        });
        const stageDiff = runPulumi(t, "preview", "--diff").output;
        assert.match(stageDiff, replacesContainer(`${t.name}-green-container`));
        assert.doesNotMatch(stageDiff, /~ liveColor/, "traffic does not move");
        await t.stack.up();
        assert.deepStrictEqual(previewSummary(t), { code: 0, headline: "no change" });
        const noChangeDiff = runPulumi(t, "preview", "--diff").output;
        assert.doesNotMatch(noChangeDiff, /\((update|replace|create|delete)\)/);
        assert.match(noChangeDiff, /\d+ unchanged/);
        const now = await serving();
        assert.match(now.body, /^version=1 /);
        assert.strictEqual(now.color, "blue");
        assert.match((await probe(`http://127.0.0.1:${PUBLIC_PORT + 2}/`, 2000)).body, /^version=3 /);
    });

    it("promotes the staged colour", async () => {
        await t.setConfig({ liveColor: "green" });
        await t.stack.up();
        const now = await serving();
        assert.match(now.body, /^version=3 /);
        assert.strictEqual(now.color, "green");
    });

    it("refuses an unhealthy release: non-zero, names the colour, old release keeps serving", async () => {
        await t.setConfig({ blueImage: "bluegreen-sample:unhealthy", liveColor: "blue" });
        const { result: failure, load } = await underLoad(`${URL}/`, HEALTH_TIMEOUT_SECONDS + 12, () =>
            expectFailure(() => t.stack.up()),
        );
        assertNoLoss(load);
        assert.match(
            failure.message,
            /health check failed: blue is not healthy at http:\/\/127\.0\.0\.1:18081\/health/,
        );
        assert.match(failure.message, /last answer: HTTP 500/);
        assertBounded(failure);
        const now = await serving();
        assert.match(now.body, /^version=3 /);
        assert.strictEqual(now.color, "green");
    });

    it("rolls config back in line with traffic although the standby is broken", async () => {
        // What `npm run rollback` does after a failed release: the broken standby must not block it.
        await t.setConfig({ liveColor: "green" });
        const result = await t.stack.up();
        assert.strictEqual(result.outputs.liveColor.value, "green");
        assert.match(result.stdout + result.stderr, /standby health check failed: blue is not healthy/);
        assert.strictEqual((await serving()).color, "green");
    });

    it("fails a release that never starts listening, after the health timeout", async () => {
        await t.setConfig({ blueImage: "bluegreen-sample:slow", liveColor: "blue" });
        const failure = await expectFailure(() => t.stack.up());
        assert.match(failure.message, /health check failed: blue .*no response \((ECONNREFUSED|ECONNRESET)\)/);
        assertBounded(failure);
        assert.strictEqual((await serving()).color, "green");
    });

    it("refuses at preview to change the live colour's image in place", async () => {
        await t.setConfig({ liveColor: "green", blueImage: "bluegreen-sample:1" });
        await t.stack.up();
        await t.setConfig({ greenImage: "bluegreen-sample:2" });
        // The same refusal whether the flip is attempted or not.
        const summary = previewSummary(t);
        assert.strictEqual(summary.code, 1);
        assert.match(summary.headline, /^refused: greenImage changed \(bluegreen-sample:3 -> bluegreen-sample:2\)/);
        const refusedDiff = runPulumi(t, "preview", "--diff");
        assert.notStrictEqual(refusedDiff.code, 0);
        assert.match(refusedDiff.output, /refused: greenImage changed \(bluegreen-sample:3 -> bluegreen-sample:2\)/);
        const { message } = await expectFailure(() => t.stack.preview());
        assert.match(
            message,
            /refused: greenImage changed \(bluegreen-sample:3 -> bluegreen-sample:2\) but green is live/,
        );
        assert.match(message, /npm run release -- bluegreen-sample:2/);
        // The update refuses it too, without a preview (the Automation API's up skips it, as the helpers do).
        const greenBefore = await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-green`]);
        const refusedUp = await expectFailure(() => t.stack.up());
        assert.match(refusedUp.message, /refused: greenImage changed \(bluegreen-sample:3 -> bluegreen-sample:2\)/);
        assert.strictEqual(await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-green`]), greenBefore);
        await t.setConfig({ greenImage: "bluegreen-sample:3" });
    });

    it("rejects bad config at preview with one line naming the key", async () => {
        await t.setConfig({ publicPort: "80;80" });
        const summary = previewSummary(t);
        assert.strictEqual(summary.code, 1);
        assert.match(summary.headline, /bluegreen:publicPort must be an integer from 1 to 65535 \(got "80;80"\)/);
        const badDiff = runPulumi(t, "preview", "--diff");
        assert.notStrictEqual(badDiff.code, 0);
        assert.match(badDiff.output, /bluegreen:publicPort must be an integer from 1 to 65535 \(got "80;80"\)/);
        const { message } = await expectFailure(() => t.stack.preview());
        assert.match(message, /bluegreen:publicPort must be an integer from 1 to 65535 \(got "80;80"\)/);
        await t.setConfig({ publicPort: String(PUBLIC_PORT) });
        // Another engine would recreate every container: refused at preview, saying what to run.
        const engine = TEST_ENGINE;
        const other = engine === "docker-cli" ? "docker-provider" : "docker-cli";
        await t.setConfig({ engine: other });
        const refusal = await expectFailure(() => t.stack.preview());
        assert.match(
            refusal.message,
            new RegExp(
                `bluegreen:engine is ${other} but this stack's containers run on ${engine}; .*pulumi config set engine ${engine}`,
            ),
        );
        await t.setConfig({ engine: "auto" });
        assert.strictEqual((await serving()).color, "green", "nothing changed");
    });

    it("destroys everything it made", async () => {
        await t.stack.destroy();
        const containers = await dockerOk(["ps", "-a", "--filter", `label=io.bluegreen.managed=${t.name}`, "-q"]);
        assert.strictEqual(containers, "");
        const network = await docker(["network", "inspect", `${t.name}-net`]);
        assert.notStrictEqual(network.code, 0, "network removed");
    });
});
