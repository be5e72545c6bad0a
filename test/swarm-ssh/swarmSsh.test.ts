// A swarm deployed over SSH: this process runs on this machine (not in the manager's namespace),
// with DOCKER_HOST=ssh://root@<manager> of scripts/swarm-harness.sh. Every probe goes through the
// Docker API; the load runs inside the manager's namespace, where the proxy publishes its ports.
import * as assert from "assert";
import { dockerOk } from "../../components/runtime/docker";
import { probe } from "../../components/runtime/probe";
import { assertNoLoss, underLoad } from "../support/load";
import { TEST_ENGINE } from "../support/engine";
import { remoteGet } from "../support/remote";
import { createTestStack, runCli, sampleConfig, TestStack } from "../support/stack";
import { nodesOf } from "../support/swarm";

const PUBLIC_PORT = 18980;
const URL = `http://127.0.0.1:${PUBLIC_PORT}/`;

describe(`swarm over SSH (${TEST_ENGINE})`, function () {
    this.timeout(600000);
    const manager = process.env.SWARM_MANAGER_NS ?? "";
    let t: TestStack;
    const serving = () => remoteGet(manager, URL);

    before(async () => {
        // A missing harness is a broken run, not a reason to skip.
        assert.ok(
            process.env.DOCKER_HOST?.startsWith("ssh://") && manager !== "",
            'run with DOCKER_HOST=$SWARM_MANAGER_SSH after eval "$(scripts/swarm-harness.sh env)"',
        );
        const info = await dockerOk(["info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"]);
        assert.strictEqual(info, "active true", "DOCKER_HOST reaches a swarm manager over SSH");
        t = await createTestStack("swarmssh", { ...sampleConfig(PUBLIC_PORT), orchestrator: "swarm", replicas: "2" });
    });

    after(async () => {
        await t?.cleanup();
    });

    it("deploys 2 replicas per colour over SSH; nothing is published on this machine", async () => {
        const result = await t.stack.up();
        assert.strictEqual(result.summary.result, "succeeded");
        assert.strictEqual(serving().color, "blue");
        assert.strictEqual((await probe(URL, 1000)).status, undefined, "the public port is the manager's");
        assert.strictEqual((await nodesOf(`${t.name}-blue`)).length, 2);
    });

    it("releases v2 onto green under load on the manager: 0 failed requests", async () => {
        const { result, load } = await underLoad(
            URL,
            20,
            async () => runCli(t, "release", "bluegreen-sample:2"),
            manager,
        );
        assert.strictEqual(result.code, 0, result.output);
        assertNoLoss(load);
        assert.strictEqual(serving().color, "green");
        assert.match(serving().body, /^version=2 /);
    });

    it("rolls back to blue under load: 0 failed requests", async () => {
        const { result, load } = await underLoad(URL, 14, async () => runCli(t, "rollback"), manager);
        assert.strictEqual(result.code, 0, result.output);
        assertNoLoss(load);
        assert.strictEqual(serving().color, "blue");
        assert.match(
            runCli(t, "status").output,
            /serving: blue at http:\/\/127\.0\.0\.1:80 \(from inside swarmssh\d+-proxy\)/,
        );
    });
});
