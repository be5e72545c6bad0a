import * as assert from "assert";
import { classifyTransition, describeTransition, ReleaseState } from "../../components/core/release";

const v1 = "bluegreen-sample:1";
const v2 = "bluegreen-sample:2";
const deployed: ReleaseState = { liveColor: "blue", blueImage: v1, greenImage: v1 };

describe("release-transition rules", () => {
    it("first deploy", () => {
        const t = classifyTransition(undefined, deployed);
        assert.deepStrictEqual(t, { kind: "initial", live: "blue", image: v1 });
    });

    it("no change", () => {
        assert.deepStrictEqual(classifyTransition(deployed, deployed), { kind: "none" });
        assert.strictEqual(describeTransition({ kind: "none" }), "no change");
    });

    it("release: new image on the idle colour plus the flip", () => {
        const t = classifyTransition(deployed, { liveColor: "green", blueImage: v1, greenImage: v2 });
        assert.strictEqual(t.kind, "release");
        assert.strictEqual(
            describeTransition(t),
            "release: green bluegreen-sample:1 -> bluegreen-sample:2; traffic blue -> green; " +
                "blue stays on bluegreen-sample:1 as standby",
        );
    });

    it("stage: new image on the idle colour without the flip", () => {
        const t = classifyTransition(deployed, { liveColor: "blue", blueImage: v1, greenImage: v2 });
        assert.deepStrictEqual(t, { kind: "stage", color: "green", from: v1, to: v2 });
        assert.strictEqual(
            describeTransition(t),
            "stage: green bluegreen-sample:1 -> bluegreen-sample:2; traffic stays on blue",
        );
    });

    it("switch: only the flip (rollback or promote)", () => {
        const t = classifyTransition(deployed, { ...deployed, liveColor: "green" });
        assert.deepStrictEqual(t, { kind: "switch", from: "blue", to: "green", image: v1 });
        assert.strictEqual(describeTransition(t), "switch: traffic blue -> green (green runs bluegreen-sample:1)");
    });

    it("refuses changing the live colour's image while it stays live, saying what to run", () => {
        const t = classifyTransition(deployed, { ...deployed, blueImage: v2 });
        assert.strictEqual(t.kind, "refused");
        const reason = describeTransition(t);
        assert.match(
            reason,
            /^refused: blueImage changed \(bluegreen-sample:1 -> bluegreen-sample:2\) but blue is live/,
        );
        assert.match(reason, /npm run release -- bluegreen-sample:2/);
        assert.match(reason, /pulumi config set blueImage bluegreen-sample:1/);
    });

    it("refuses replacing the serving colour in the same update that moves traffic away", () => {
        const t = classifyTransition(deployed, { liveColor: "green", blueImage: v2, greenImage: v2 });
        assert.strictEqual(t.kind, "refused");
        assert.match(describeTransition(t), /blue serves traffic until the switch/);
    });

    describe("canary", () => {
        const canary10: ReleaseState = { liveColor: "blue", blueImage: v1, greenImage: v2, canaryPercent: 10 };

        it("a new image on the idle colour with a share: gated first, then the share", () => {
            const t = classifyTransition(deployed, canary10);
            assert.deepStrictEqual(t, { kind: "canary", color: "green", percent: 10, image: v2, staged: { from: v1 } });
            assert.strictEqual(
                describeTransition(t),
                `canary: 10% of clients to green (${v2}); green ${v1} -> ${v2} first, gated before any share`,
            );
        });

        it("raising the share, and no change when it stays", () => {
            const t = classifyTransition(canary10, { ...canary10, canaryPercent: 30 });
            assert.strictEqual(describeTransition(t), `canary: 30% of clients to green (${v2})`);
            assert.deepStrictEqual(classifyTransition(canary10, canary10), { kind: "none" });
        });

        it("promote is a switch with the share back to 0; abort sends every client to the live colour", () => {
            const promote = classifyTransition(canary10, { ...canary10, liveColor: "green", canaryPercent: 0 });
            assert.deepStrictEqual(promote, { kind: "switch", from: "blue", to: "green", image: v2 });
            const abort = classifyTransition(canary10, { ...canary10, canaryPercent: 0 });
            assert.strictEqual(
                describeTransition(abort),
                `canary off: every client to blue (${v1}); green keeps running as standby`,
            );
        });

        it("refuses replacing the canary's container while it has a share, and a switch that keeps a share", () => {
            const replace = classifyTransition(canary10, { ...canary10, greenImage: "bluegreen-sample:3" });
            assert.strictEqual(replace.kind, "refused");
            assert.match(describeTransition(replace), /green serves a 10% canary share.*npm run abort/);
            const alsoOff = classifyTransition(canary10, {
                ...canary10,
                greenImage: "bluegreen-sample:3",
                canaryPercent: 0,
            });
            assert.strictEqual(alsoOff.kind, "refused", "the image changes before the share goes");
            const keeps = classifyTransition(deployed, { ...deployed, liveColor: "green", canaryPercent: 10 });
            assert.match(describeTransition(keeps), /^refused: liveColor changed .* with canaryPercent 10/);
            const live = classifyTransition(canary10, { ...canary10, blueImage: v2 });
            assert.match(describeTransition(live), /^refused: blueImage changed/);
        });
    });
});
