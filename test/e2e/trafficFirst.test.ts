// Traffic first, record second: `npm run rollback` moves nginx to the standby before its `pulumi up`,
// and every failure around that leaves traffic on a colour that serves. Real nginx, Docker and
// Pulumi on this machine, GET and POST keep-alive load throughout.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { dockerOk } from "../../components/runtime/docker";
import { stackConfig } from "../../scripts/stackFiles";
import { assertNoLoss, underLoad } from "../support/load";
import { routedClient } from "../support/routed";
import { createTestStack, runCli, startCli, sampleConfig, TestStack } from "../support/stack";

const PUBLIC_PORT = 20080;
const URL = `http://127.0.0.1:${PUBLIC_PORT}`;

const { answer } = routedClient(URL);

/** Polls `check` every 10 ms for at most `ms`; false when it never held. */
async function within(ms: number, check: () => Promise<boolean> | boolean): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
        if (await check()) return true;
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return false;
}

describe("traffic first: npm run rollback moves nginx before its update", function () {
    this.timeout(900000);
    let t: TestStack;
    const colour = async () => (await answer("/__bluegreen/version")).split(" ")[2];
    const configured = () => stackConfig(t.workDir, t.name)?.liveColor;
    /** What the App's proxy switch recorded in the stack's state. */
    const recorded = async () => {
        const state = (await t.stack.exportStack()).deployment as {
            resources: { urn: string; outputs?: { color?: string; reloadVia?: string } }[];
        };
        return state.resources.find((r) => r.urn.endsWith(`::${t.name}-switch`))!.outputs!;
    };
    const cli = (...args: string[]) => {
        const result = runCli(t, ...args);
        assert.strictEqual(result.code, 0, result.output);
        return result.output;
    };

    before(async () => {
        t = await createTestStack("first", { ...sampleConfig(PUBLIC_PORT), greenImage: "bluegreen-sample:2" });
        await t.stack.up();
    });

    after(async () => {
        await t?.cleanup();
    });

    it("serves the standby before the update has ended; the update finds nginx serving it and switches nothing", async () => {
        const run = await underLoad(URL, 10, async () => {
            const rollback = startCli(t, "rollback");
            const moved = await within(20000, async () => (await colour()) === "green");
            const runningWhenMoved = rollback.child.exitCode === null;
            return { moved, runningWhenMoved, ...(await rollback.done) };
        });
        assertNoLoss(run.load);
        assert.strictEqual(run.result.code, 0, run.result.output);
        assert.ok(run.result.moved && run.result.runningWhenMoved, "green served while the rollback still ran");
        assert.match(
            run.result.output,
            /rollback: traffic on green \(reload via signal; nginx answered it \d+ ms after\); recording it/,
        );
        assert.match(await answer("/"), /^200 version=2 /);
        assert.strictEqual(configured(), "green");
        const state = await recorded();
        assert.strictEqual(state.color, "green");
        assert.strictEqual(state.reloadVia, "none: nginx served it already", "the update did not reload nginx again");
        const preview = await t.stack.preview();
        assert.strictEqual(preview.changeSummary.update ?? 0, 0, "state, config and nginx agree");
    });

    it("refuses an unhealthy standby in one line: nothing moves, config stays", async () => {
        await dockerOk(["pause", `${t.name}-blue`]);
        try {
            const run = await underLoad(URL, 6, async () => runCli(t, "rollback"));
            assertNoLoss(run.load);
            assert.strictEqual(run.result.code, 2, run.result.output);
            assert.match(
                run.result.output,
                /^error: rollback refused: the blue container \S+-blue is paused, .*nothing moved/m,
            );
        } finally {
            await dockerOk(["unpause", `${t.name}-blue`]);
        }
        assert.strictEqual(await colour(), "green");
        assert.strictEqual(configured(), "green");
    });

    it("detects a pulumi update holding the stack's lock before anything moves", async () => {
        const lockDir = path.join(t.env.PULUMI_BACKEND_URL.slice("file://".length), ".pulumi", "locks");
        const holding = t.stack.up();
        const locked = await within(
            60000,
            () =>
                fs.existsSync(lockDir) &&
                fs.readdirSync(lockDir, { recursive: true }).some((f) => String(f).endsWith(".json")),
        );
        assert.ok(locked, "the concurrent update took its lock");
        const rollback = runCli(t, "rollback");
        await holding;
        assert.strictEqual(rollback.code, 2, rollback.output);
        assert.match(
            rollback.output,
            /rollback refused: a pulumi update of \S+ holds its lock \(pid \d+ of \S+ on .* since .*\); nothing moved/,
        );
        assert.strictEqual(await colour(), "green");
        assert.strictEqual(configured(), "green");
    });

    it("runs one of two rollbacks started together; the other refuses before moving anything", async () => {
        const run = await underLoad(URL, 10, async () => {
            const both = [startCli(t, "rollback"), startCli(t, "rollback")];
            return Promise.all(both.map((r) => r.done));
        });
        assertNoLoss(run.load);
        const codes = run.result.map((r) => r.code).sort();
        assert.deepStrictEqual(codes, [0, 2], run.result.map((r) => r.output).join("\n---\n"));
        const refused = run.result.find((r) => r.code === 2)!.output;
        assert.match(
            refused,
            /rollback refused: (npm run rollback \(pid \d+\)|another helper) is moving traffic of the stack/,
        );
        assert.strictEqual(await colour(), "blue");
        assert.strictEqual(configured(), "blue");
        assert.strictEqual((await recorded()).color, "blue");
    });

    it("keeps traffic on the standby when killed after the flip; status names the disagreement, recover converges", async () => {
        const run = await underLoad(URL, 12, async () => {
            const rollback = startCli(t, "rollback");
            const moved = await within(20000, async () => (await colour()) === "green");
            process.kill(-rollback.child.pid!, "SIGKILL");
            await rollback.done;
            return moved;
        });
        assertNoLoss(run.load);
        assert.ok(run.result, "the rollback moved traffic before it was killed");
        assert.strictEqual(await colour(), "green");
        assert.strictEqual(configured(), "green", "config was written before traffic moved");
        assert.strictEqual((await recorded()).color, "blue", "the update that records it never ended");
        const status = runCli(t, "status").output;
        assert.match(
            status,
            /^warning: state and traffic disagree: the stack's state records blue, nginx serves green .*npm run recover/m,
        );
        const recover = await underLoad(URL, 8, async () => cli("recover"));
        assertNoLoss(recover.load);
        assert.match(
            recover.result,
            /^recover: removing the claim on the stack of a helper that is gone \(npm run rollback \(pid \d+\)\)$/m,
        );
        assert.strictEqual(await colour(), "green");
        assert.strictEqual((await recorded()).color, "green");
        assert.doesNotMatch(cli("status"), /disagree/);
    });
});
