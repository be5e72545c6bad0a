// End to end: a sticky canary share before the switch. Over 1,000 distinct clients the share lands
// within 3 points of canaryPercent, every client stays on one colour, raising the share only moves
// clients to the canary, and promote and abort lose no request under load.
import * as assert from "assert";
import * as http from "http";
import { assertNoLoss, underLoad } from "../support/load";
import { createTestStack, runCli, sampleConfig, TestStack } from "../support/stack";

const PUBLIC_PORT = 18880;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** One GET as a client with `id` in its bg_client cookie (none: a new client); colour and cookie set. */
function ask(id?: string): Promise<{ color: string; setCookie?: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get(
            {
                host: "127.0.0.1",
                port: PUBLIC_PORT,
                path: "/",
                agent,
                headers: id ? { Cookie: `bg_client=${id}` } : {},
            },
            (res) => {
                res.resume();
                res.on("end", () =>
                    resolve({ color: String(res.headers["x-color"]), setCookie: res.headers["set-cookie"]?.[0] }),
                );
            },
        );
        req.setTimeout(5000, () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

/** The colour of each of `ids`, asked once each, 8 at a time. */
async function colours(ids: string[]): Promise<Map<string, string>> {
    const seen = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 8) {
        const batch = ids.slice(i, i + 8);
        const answers = await Promise.all(batch.map((id) => ask(id)));
        batch.forEach((id, j) => seen.set(id, answers[j].color));
    }
    return seen;
}

const CLIENTS = Array.from({ length: 1000 }, (_, i) => `client-${i}-${(i * 2654435761) % 4294967296}`);

function share(seen: Map<string, string>, color: string): number {
    return (100 * [...seen.values()].filter((c) => c === color).length) / seen.size;
}

describe("canary: a sticky share of clients to the idle colour (real nginx, Docker, Pulumi)", function () {
    this.timeout(600000);
    let t: TestStack;

    before(async () => {
        t = await createTestStack("canary", { ...sampleConfig(PUBLIC_PORT), healthIntervalMs: "100" });
        await t.stack.up();
    });

    after(async () => {
        agent.destroy();
        await t?.cleanup();
    });

    it("release --canary 10: green gets v2, then 10% (±3) of 1,000 clients, each sticky over 20 requests", async () => {
        const release = runCli(t, "release", "bluegreen-sample:2", "--canary", "10");
        assert.strictEqual(release.code, 0, release.output);
        assert.match(release.output, /canary: 10% of clients on green \(bluegreen-sample:2\)/);
        const outputs = await t.stack.outputs();
        assert.strictEqual(outputs.liveColor.value, "blue", "blue stays live");
        assert.strictEqual(outputs.canary.value, "10% of clients to green");
        const seen = await colours(CLIENTS);
        const green = share(seen, "green");
        assert.ok(green >= 7 && green <= 13, `green serves ${green}% of 1,000 clients`);
        assert.deepStrictEqual(new Set(seen.values()), new Set(["blue", "green"]));
        for (const id of CLIENTS) {
            const again = await Promise.all(Array.from({ length: 20 }, () => ask(id)));
            assert.deepStrictEqual(new Set(again.map((a) => a.color)), new Set([seen.get(id)]), `${id} stays`);
        }
        // A new client gets an id in its first answer, and keeps its colour with it.
        const first = await ask();
        const id = /^bg_client=([0-9a-f]{32});/.exec(first.setCookie ?? "")?.[1];
        assert.ok(id, `a new client gets a cookie: ${first.setCookie}`);
        assert.strictEqual((await ask(id)).setCookie, undefined, "no new cookie once it has one");
        const mine = await Promise.all(Array.from({ length: 20 }, () => ask(id)));
        assert.strictEqual(new Set(mine.map((a) => a.color)).size, 1);
        const status = runCli(t, "status").output;
        assert.match(status, /^canary: +10% of clients to green \(bluegreen-sample:2\)/m);
    });

    it("raising the share to 30% only moves clients towards green; the canary's image cannot change", async () => {
        const before = await colours(CLIENTS);
        await t.setConfig({ canaryPercent: "30" });
        assert.strictEqual(
            runCli(t, "preview").output.split("\n")[0],
            "canary: 30% of clients to green (bluegreen-sample:2)",
        );
        await t.stack.up();
        const after = await colours(CLIENTS);
        const green = share(after, "green");
        assert.ok(green >= 27 && green <= 33, `green serves ${green}%`);
        for (const id of CLIENTS) {
            if (before.get(id) === "green") assert.strictEqual(after.get(id), "green", `${id} stays on green`);
        }
        await t.setConfig({ greenImage: "bluegreen-sample:3" });
        const refused = runCli(t, "preview");
        assert.strictEqual(refused.code, 1);
        assert.match(refused.output.split("\n")[0], /^refused: greenImage changed .* green serves a 30% canary share/);
        await t.setConfig({ greenImage: "bluegreen-sample:2" });
    });

    it("promote under GET and POST load: every client to green, 0 failed", async () => {
        const { result, load } = await underLoad(`http://127.0.0.1:${PUBLIC_PORT}/`, 10, async () =>
            runCli(t, "promote"),
        );
        assert.strictEqual(result.code, 0, result.output);
        assertNoLoss(load);
        const outputs = await t.stack.outputs();
        assert.strictEqual(outputs.liveColor.value, "green");
        assert.strictEqual(outputs.canary.value, "off");
        assert.deepStrictEqual(new Set((await colours(CLIENTS.slice(0, 200))).values()), new Set(["green"]));
    });

    it("a second canary, then abort under load: every client back on green, 0 failed", async () => {
        const start = await underLoad(`http://127.0.0.1:${PUBLIC_PORT}/`, 14, async () =>
            runCli(t, "release", "bluegreen-sample:3", "--canary", "20"),
        );
        assert.strictEqual(start.result.code, 0, start.result.output);
        assertNoLoss(start.load);
        assert.ok(share(await colours(CLIENTS), "blue") > 10, "blue takes its share");
        assert.strictEqual(runCli(t, "preview").output.split("\n")[0], "no change");
        const abort = await underLoad(`http://127.0.0.1:${PUBLIC_PORT}/`, 10, async () => runCli(t, "abort"));
        assert.strictEqual(abort.result.code, 0, abort.result.output);
        assertNoLoss(abort.load);
        assert.deepStrictEqual(new Set((await colours(CLIENTS.slice(0, 200))).values()), new Set(["green"]));
        assert.strictEqual((await t.stack.outputs()).canary.value, "off");
    });
});
