// Traffic first: the record a rollback renders before its update, and the claims that keep two
// helpers (or a helper and a pulumi update) from moving one stack's traffic at once.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as path from "path";
import type { AppRecord } from "../../components/core/nginx/apps";
import { recordServing } from "../../components/core/trafficFirst";
import { claimStack, clearStaleClaim } from "../../scripts/stackClaim";

const tls = {
    certificate: "/etc/nginx/bluegreen-files/a.crt",
    key: "/etc/nginx/bluegreen-files/a.key",
    redirect: false,
    httpsPort: 8443,
};
const record: AppRecord = {
    app: "shop",
    target: { color: "blue", host: "shop-blue", port: 8080 },
    edge: { tls, canary: { percent: 10, color: "green", host: "shop-green" }, verify: true },
    route: { hosts: ["shop.test"], pathPrefix: "/", stripPathPrefix: false },
};

describe("traffic first: the record a rollback serves", () => {
    it("moves every client to the other colour on its host and port, keeping the rest of the record", () => {
        const moved = recordServing(record, "green");
        assert.deepStrictEqual(moved.target, { color: "green", host: "shop-green", port: 8080 });
        assert.deepStrictEqual(moved.edge, { tls, verify: true }, "the canary share ends, HTTPS and the log stay");
        assert.deepStrictEqual(moved.route, record.route);
        assert.deepStrictEqual(Object.keys(moved), Object.keys(record), "same shape: the update renders the same text");
    });

    it("ends a canary on the live colour, and names a swarm colour's tasks alike", () => {
        assert.deepStrictEqual(recordServing(record, "blue").target, record.target);
        const swarm = { ...record, target: { color: "green" as const, host: "tasks.shop-green", port: 80 }, edge: {} };
        assert.strictEqual(recordServing(swarm, "blue").target.host, "tasks.shop-blue");
    });

    it("refuses a host not named after its colour", () => {
        const odd = { ...record, target: { ...record.target, host: "shop" }, edge: {} };
        assert.throws(() => recordServing(odd, "green"), /the blue colour's host shop does not end in -blue/);
    });
});

describe("traffic first: claims on a stack", () => {
    const backend = `file:///tmp/bluegreen-claims-${process.pid}`;

    it("lets one claim in at a time, and takes over one whose process is gone", () => {
        const release = claimStack(backend, "dev", "rollback");
        assert.throws(
            () => claimStack(backend, "dev", "abort"),
            new RegExp(
                `^Error: abort refused: npm run rollback \\(pid ${process.pid}\\) is moving traffic of the stack dev; nothing moved`,
            ),
        );
        claimStack(backend, "prod", "rollback")(); // another stack: its own claim
        release();
        const dead = childProcess.spawnSync(process.execPath, [
            "-e",
            `require(${JSON.stringify(path.resolve(__dirname, "../../scripts/stackClaim.js"))}).claimStack(${JSON.stringify(backend)}, "dev", "rollback")`,
        ]);
        assert.strictEqual(dead.status, 0, String(dead.stderr));
        claimStack(backend, "dev", "rollback")(); // its process exited without releasing
    });

    it("clears a claim whose process is gone (npm run recover), and only such a one", () => {
        const leave = (stack: string) =>
            childProcess.spawnSync(process.execPath, [
                "-e",
                `require(${JSON.stringify(path.resolve(__dirname, "../../scripts/stackClaim.js"))}).claimStack(${JSON.stringify(backend)}, ${JSON.stringify(stack)}, "abort")`,
            ]);
        assert.strictEqual(leave("dev").status, 0);
        assert.match(clearStaleClaim(backend, "dev")!, /^npm run abort \(pid \d+\)$/);
        assert.strictEqual(clearStaleClaim(backend, "dev"), undefined, "nothing left");
        const release = claimStack(backend, "dev", "rollback");
        assert.strictEqual(clearStaleClaim(backend, "dev"), undefined, "a live helper's claim stays");
        release();
    });
});
