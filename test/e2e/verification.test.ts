// End to end: verification after the switch. A release that goes bad under real traffic after its
// health gate passed is undone by the same `pulumi up`, with the figures in one line; clients see
// 5xx only until then and never a connection error; a healthy release passes; a canary and a slow
// release are judged the same way.
import * as assert from "assert";
import { underLoad } from "../support/load";
import { assertOnlyStatus } from "../support/edge";
import { probe } from "../../components/runtime/probe";
import { createTestStack, runCli, runPulumi, sampleConfig, TestStack } from "../support/stack";

const PUBLIC_PORT = 19180;
const URL = `http://127.0.0.1:${PUBLIC_PORT}`;
const VERIFY_SECONDS = 10;
/** The load's rate: GET and POST, 2 connections each at 25 rps (support/load.ts). */
const LOAD_RPS = 100;

/** The one line Pulumi failed with. */
function verificationLine(output: string): string {
    const line = output.split("\n").find((l) => l.includes("verification failed: "));
    assert.ok(line, `no verification failure in:\n${output}`);
    return line.slice(line.indexOf("verification failed: ")).trim();
}

describe("verification after the switch (real nginx, Docker, Pulumi)", function () {
    this.timeout(600000);
    let t: TestStack;

    before(async () => {
        t = await createTestStack("verify", {
            ...sampleConfig(PUBLIC_PORT),
            verifySeconds: String(VERIFY_SECONDS),
            minRequests: "20",
        });
        await t.stack.up();
    });

    after(async () => {
        await t?.cleanup();
    });

    it("a healthy release passes verification under load, 0 failed", async () => {
        const { result, load } = await underLoad(URL, VERIFY_SECONDS + 12, async () =>
            runCli(t, "release", "bluegreen-sample:2"),
        );
        assert.strictEqual(result.code, 0, result.output);
        for (const l of load) {
            assert.strictEqual(
                l.failed,
                0,
                `${l.method}: ${JSON.stringify({ statuses: l.statuses, errors: l.errors })}`,
            );
        }
        const outputs = await t.stack.outputs();
        assert.strictEqual(outputs.liveColor.value, "green");
        assert.match(
            String(outputs.verification.value),
            new RegExp(
                `^passed: green answered \\d+ requests, 0 with 5xx \\(0\\.0% <= 1\\.0%\\), p99 \\d+ ms, in ${VERIFY_SECONDS} s$`,
            ),
        );
    });

    it("a release that goes bad after the switch is rolled back by the same pulumi up, 5xx bounded, 0 connection errors", async () => {
        const { result, load } = await underLoad(URL, VERIFY_SECONDS + 20, async () =>
            runCli(t, "release", "bluegreen-sample:failing"),
        );
        assert.notStrictEqual(result.code, 0, result.output);
        const line = verificationLine(result.output);
        const figures =
            /^verification failed: blue answered (\d+) of (\d+) requests with 5xx \((\d+\.\d)% > 1\.0%\) in (\d+) s; traffic returned to green \(bluegreen-sample:2\)$/.exec(
                line,
            );
        assert.ok(figures, line);
        const [errors, requests, window] = [Number(figures[1]), Number(figures[2]), Number(figures[4])];
        assert.ok(errors >= 1 && errors <= requests, line);
        assert.ok(window <= VERIFY_SECONDS, `decided within the window: ${line}`);
        // Traffic is back on green; what clients saw of blue's 5xx is bounded by the window (and
        // in practice by a poll of the log): never more than the load's rate over the window.
        assert.strictEqual((await probe(`${URL}/`, 3000)).headers["x-color"], "green");
        const bad = assertOnlyStatus(load, "500");
        console.log(`      clients saw ${bad} 5xx of ${load[0].total + load[1].total} requests (${line})`);
        assert.ok(bad > 0, "the bad release did answer some clients");
        assert.ok(bad <= LOAD_RPS * VERIFY_SECONDS, `clients saw ${bad} 5xx: more than ${VERIFY_SECONDS} s of load`);

        const outputs = await t.stack.outputs();
        assert.strictEqual(outputs.liveColor.value, "green", "outputs say what serves");
        const status = runCli(t, "status").output;
        assert.match(status, /^serving: green /m);
        assert.match(status, /^warning: config and traffic disagree/m);
        const rollback = runCli(t, "rollback");
        assert.strictEqual(rollback.code, 0, rollback.output);
        assert.match(rollback.output, /config says liveColor=blue canaryPercent=0 but nginx serves green/);
        assert.doesNotMatch(runCli(t, "status").output, /disagree/);
    });

    it("a canary whose share fails is ended by the same pulumi up; abort puts config back in line", async () => {
        const { result, load } = await underLoad(URL, VERIFY_SECONDS + 14, async () =>
            runCli(t, "release", "bluegreen-sample:failing", "--canary", "50"),
        );
        assert.notStrictEqual(result.code, 0, result.output);
        assert.match(
            verificationLine(result.output),
            /^verification failed: blue answered \d+ of \d+ requests with 5xx \(\d+\.\d% > 1\.0%\) in \d+ s; traffic returned to green \(bluegreen-sample:2\)$/,
        );
        assertOnlyStatus(load, "500");
        assert.strictEqual((await t.stack.outputs()).canary.value, "off");
        const status = runCli(t, "status").output;
        assert.doesNotMatch(status, /^canary:/m);
        assert.match(result.output, /npm run abort puts config back in line/);
        const abort = runCli(t, "abort");
        assert.strictEqual(abort.code, 0, abort.output);
        assert.doesNotMatch(runCli(t, "status").output, /disagree/);
    });

    it("a release slower than maxP99Ms is rolled back with its p99", async () => {
        await t.setConfig({ maxP99Ms: "100" });
        const slow = `${URL}/?sleep=150ms`;
        const { result } = await underLoad(slow, VERIFY_SECONDS + 12, async () =>
            runCli(t, "release", "bluegreen-sample:3"),
        );
        assert.notStrictEqual(result.code, 0, result.output);
        assert.match(
            verificationLine(result.output),
            /^verification failed: blue answered \d+ requests with a p99 of (1[5-9]\d|[2-9]\d\d|\d{4,}) ms \(> 100 ms\) in \d+ s; traffic returned to green \(bluegreen-sample:2\)$/,
        );
        assert.strictEqual((await probe(`${URL}/`, 3000)).headers["x-color"], "green");
    });

    it("a switch with too little traffic to judge passes, with a warning that says so", async () => {
        const aligned = runCli(t, "rollback"); // config follows traffic after the last test: green
        assert.strictEqual(aligned.code, 0, aligned.output);
        const result = runCli(t, "rollback"); // now a real switch to blue, with no load at all
        assert.strictEqual(result.code, 0, result.output);
        assert.match(
            result.output,
            new RegExp(
                `warning: verification: blue answered \\d+ request\\(s\\) in ${VERIFY_SECONDS} s, fewer than ` +
                    `minRequests \\(20\\): not judged; raise verifySeconds or lower minRequests`,
            ),
        );
        assert.match(String((await t.stack.outputs()).verification.value), /^not judged: blue answered/);
        const quiet = runPulumi(t, "up", "--yes", "--skip-preview");
        assert.strictEqual(quiet.code, 0, quiet.output);
        assert.doesNotMatch(
            quiet.output,
            /warning: verification/,
            "an update that verifies nothing does not warn again",
        );
    });
});
