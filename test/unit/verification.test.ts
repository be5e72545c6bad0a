import * as assert from "assert";
import {
    addAnswers,
    colorToVerify,
    describeServed,
    emptyTally,
    judge,
    p99,
    parseAnswers,
} from "../../components/core/verification";

const settings = { seconds: 30, maxErrorRate: 0.01, minRequests: 20 };

/** A tally of `ok` 200s and `bad` 500s for green, each taking `ms`. */
function tally(ok: number, bad: number, ms = 5) {
    const t = emptyTally("green");
    const line = (status: number) => `1733230000.123 green ${status} ${(ms / 1000).toFixed(3)} ${status}\n`;
    addAnswers(t, parseAnswers(line(200).repeat(ok) + line(500).repeat(bad)).answers);
    return t;
}

describe("verification rules", () => {
    it("reads complete log lines, keeps the unfinished tail, and counts only answers an upstream gave", () => {
        const log =
            "1733230000.100 green 200 0.004 200\n" +
            "1733230000.200 green 502 1.001 502, 200\n" +
            "1733230000.300 blue 200 0.002 200\n" +
            "1733230000.400 green 503 0.000 -\n" + // maintenance: nginx answered itself
            "garbage\n" +
            "1733230000.500 green 2";
        const { answers, rest } = parseAnswers(log);
        assert.deepStrictEqual(answers, [
            { color: "green", status: 200, ms: 4 },
            { color: "green", status: 502, ms: 1001 },
            { color: "blue", status: 200, ms: 2 },
        ]);
        assert.strictEqual(rest, "1733230000.500 green 2");
        const t = emptyTally("green");
        addAnswers(t, answers);
        assert.deepStrictEqual({ requests: t.requests, errors: t.errors }, { requests: 2, errors: 1 });
    });

    it("takes the 99th percentile by nearest rank", () => {
        assert.strictEqual(p99([]), 0);
        assert.strictEqual(p99([7]), 7);
        const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
        assert.strictEqual(p99(hundred), 99);
        assert.strictEqual(p99([...hundred, 1000]), 100);
    });

    it("fails as soon as enough answers break the error rate, with the figures in one line", () => {
        assert.deepStrictEqual(judge(tally(375, 37), settings, 30, true), {
            kind: "fail",
            reason: "green answered 37 of 412 requests with 5xx (9.0% > 1.0%) in 30 s",
        });
        assert.strictEqual(judge(tally(0, 20), settings, 1, false).kind, "fail");
        // Below minRequests nothing is decided early, however bad.
        assert.strictEqual(judge(tally(0, 19), settings, 1, false).kind, "watching");
        assert.strictEqual(judge(tally(400, 4), settings, 2, false).kind, "watching"); // 0.99%
    });

    it("passes at the end of the window, and leaves too few answers unjudged", () => {
        assert.deepStrictEqual(judge(tally(412, 0), settings, 30, true), {
            kind: "pass",
            summary: "green answered 412 requests, 0 with 5xx (0.0% <= 1.0%), p99 5 ms, in 30 s",
        });
        assert.deepStrictEqual(judge(tally(2, 1), settings, 30, true), {
            kind: "too-few",
            summary: "green answered 3 request(s) in 30 s, fewer than minRequests (20): not judged",
        });
        assert.strictEqual(judge(tally(0, 0), { ...settings, maxErrorRate: 0 }, 30, true).kind, "too-few");
    });

    it("checks the p99 answer time only when maxP99Ms is set", () => {
        const slow = tally(100, 0, 300);
        assert.strictEqual(judge(slow, settings, 30, true).kind, "pass");
        assert.deepStrictEqual(judge(slow, { ...settings, maxP99Ms: 250 }, 5, false), {
            kind: "fail",
            reason: "green answered 100 requests with a p99 of 300 ms (> 250 ms) in 5 s",
        });
        assert.strictEqual(judge(slow, { ...settings, maxP99Ms: 300 }, 30, true).kind, "pass");
    });

    it("verifies the colour traffic moves to: a new live colour, or a canary's new or larger share", () => {
        const blue = { color: "blue" as const, proxyContainerId: "p1" };
        const canary = (percent: number) => ({ ...blue, canary: { percent, color: "green" as const } });
        assert.strictEqual(colorToVerify(blue, { ...blue, color: "green" }), "green");
        assert.strictEqual(colorToVerify(blue, canary(10)), "green");
        assert.strictEqual(colorToVerify(canary(10), canary(50)), "green");
        assert.strictEqual(colorToVerify(canary(10), { ...blue, color: "green" }), "green"); // promote
        assert.strictEqual(colorToVerify(canary(50), canary(10)), undefined); // a smaller share
        assert.strictEqual(colorToVerify(canary(10), blue), undefined); // abort
        assert.strictEqual(colorToVerify(blue, blue), undefined); // e.g. maintenance toggled
        // A recreated proxy has no previous config of its own to return to.
        assert.strictEqual(colorToVerify(blue, { color: "green", proxyContainerId: "p2" }), undefined);
    });

    it("describes what serves for the rollback message", () => {
        const images = { blue: "app:1", green: "app:2" };
        assert.strictEqual(describeServed({ color: "blue", proxyContainerId: "p" }, images), "blue (app:1)");
        assert.strictEqual(
            describeServed({ color: "blue", proxyContainerId: "p", canary: { percent: 5, color: "green" } }, images),
            "blue (app:1), with 5% of clients to green",
        );
    });
});
