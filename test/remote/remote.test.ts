// End to end against a Docker host reachable only over SSH (scripts/remote-harness.sh): the real
// Pulumi CLI on this machine with DOCKER_HOST=ssh://root@<host>, the containers and their ports on
// the host. Nothing the stack publishes is reachable from here; the load runs inside the host's
// namespace, as clients of a server would. Run once per engine by scripts/test.sh.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { probe } from "../../components/runtime/probe";
import { BREAK_CONFIG_ENV } from "../../components/providers/proxySwitch";
import { assertNoLoss, expectFailure, underLoad } from "../support/load";
import { startLoad } from "../support/hey";
import { TEST_ENGINE } from "../support/engine";
import { assertOnlyStatus } from "../support/edge";
import { harness, remoteDocker, remoteGet, remoteHost } from "../support/remote";
import { addApp, createTestStack, runCli, runPulumi, sampleConfig, TestStack } from "../support/stack";

const PUBLIC_PORT = 18780;
const URL = `http://127.0.0.1:${PUBLIC_PORT}`;
const HEALTH_TIMEOUT_SECONDS = 8;

describe(`remote engine over SSH (${TEST_ENGINE})`, function () {
    this.timeout(600000);
    const host = remoteHost();
    let t: TestStack;
    const serving = () => remoteGet(host.ns, `${URL}/`);
    const containerIds = () =>
        ["proxy", "blue", "green"].map((role) =>
            remoteDocker(host.sock, "inspect", "--format", "{{.Id}}", `${t.name}-${role}`),
        );

    before(async () => {
        // The stack must land on the SSH host, not on this machine's engine.
        assert.match(remoteDocker(host.sock, "info", "--format", "{{.DockerRootDir}}"), /bluegreen-remote/);
        t = await createTestStack("remote", {
            ...sampleConfig(PUBLIC_PORT),
            healthTimeoutSeconds: String(HEALTH_TIMEOUT_SECONDS),
        });
    });

    after(async () => {
        harness("restore");
        await t?.cleanup();
    });

    it("deploys v1 on blue over SSH; nothing is published on this machine", async () => {
        const result = await t.stack.up();
        assert.strictEqual(result.summary.result, "succeeded");
        assert.strictEqual(result.outputs.liveColor.value, "blue");
        const now = serving();
        assert.strictEqual(now.status, 200);
        assert.match(now.body, /^version=1 /);
        assert.strictEqual(now.color, "blue");
        const here = await probe(`${URL}/`, 1000);
        assert.strictEqual(here.status, undefined, "the public port is the host's, not this machine's");
        assert.match(
            runCli(t, "status").output,
            /serving: blue at http:\/\/127\.0\.0\.1:80 \(from inside remote\d+-proxy\)/,
        );
    });

    it("releases v2 onto green under GET and POST load on the host, 0 failed, smoke test through a tunnel", async () => {
        // The smoke test runs here; TARGET_URL is an ssh tunnel to green's preview port on the host.
        const seen = path.join(t.workDir, "smoke-test.txt");
        await t.setConfig({
            greenImage: "bluegreen-sample:2",
            liveColor: "green",
            smokeTest: `curl -fsS "$TARGET_URL/" > ${seen}`,
        });
        const { result, load } = await underLoad(`${URL}/`, 16, () => t.stack.up(), host.ns);
        assertNoLoss(load);
        assert.strictEqual(result.outputs.liveColor.value, "green");
        assert.match(serving().body, /^version=2 /);
        assert.match(fs.readFileSync(seen, "utf8"), /^version=2 mode=healthy method=GET/);
        await t.setConfig({ smokeTest: "" });
    });

    it("rolls back to blue with npm run rollback, traffic first through the probe agent, no failed request under load", async () => {
        const { result, load } = await underLoad(`${URL}/`, 12, async () => runCli(t, "rollback"), host.ns);
        assertNoLoss(load);
        assert.strictEqual(result.code, 0, result.output);
        assert.match(
            result.output,
            /rollback: traffic on blue \(reload via agent, with the install; nginx answered it \d+ ms after\); recording it/,
        );
        assert.strictEqual((await t.stack.outputs()).liveColor.value, "blue");
        assert.match(serving().body, /^version=1 /);
        const state = (await t.stack.exportStack()).deployment as {
            resources: { urn: string; outputs?: { reloadVia?: string } }[];
        };
        const recorded = state.resources.find((r) => r.urn.endsWith(`::${t.name}-switch`))?.outputs;
        assert.strictEqual(recorded?.reloadVia, "none: nginx served it already", "the update found blue serving");
    });

    it("fails a never-healthy release within the health timeout, blue still serving", async () => {
        await t.setConfig({ greenImage: "bluegreen-sample:unhealthy", liveColor: "green" });
        const failure = await expectFailure(() => t.stack.up());
        assert.match(
            failure.message,
            new RegExp(
                `health check failed: green is not healthy at http://${t.name}-green:8080/health ` +
                    `\\(from inside ${t.name}-proxy\\) after ([\\d.]+)s`,
            ),
        );
        const gate = Number(/ after ([\d.]+)s /.exec(failure.message)?.[1]);
        assert.ok(gate >= HEALTH_TIMEOUT_SECONDS && gate < HEALTH_TIMEOUT_SECONDS + 2, `gate gave up after ${gate} s`);
        assert.ok(failure.seconds < HEALTH_TIMEOUT_SECONDS + 25, `pulumi up failed after ${failure.seconds} s`);
        assert.strictEqual(serving().color, "blue");
        await t.setConfig({ greenImage: "bluegreen-sample:2", liveColor: "blue" });
        await t.stack.up();
    });

    it("keeps the previous config when nginx rejects the new one on the host, under load", async () => {
        await t.setConfig({ liveColor: "green" });
        t.workspaceEnv[BREAK_CONFIG_ENV] = "1";
        try {
            const { result: failure, load } = await underLoad(
                `${URL}/`,
                10,
                () => expectFailure(() => t.stack.up()),
                host.ns,
            );
            assertNoLoss(load);
            assert.match(
                failure.message,
                /proxy switch to green failed: nginx rejected the config: \[emerg\] unknown directive/,
            );
            assert.match(failure.message, /previous config still serving/);
        } finally {
            delete t.workspaceEnv[BREAK_CONFIG_ENV];
        }
        assert.strictEqual(serving().color, "blue");
        await t.setConfig({ liveColor: "blue" });
        await t.stack.up();
    });

    it("verification over SSH: a release that fails under load is rolled back by the same pulumi up", async () => {
        await t.setConfig({
            verifySeconds: "10",
            minRequests: "20",
            greenImage: "bluegreen-sample:failing",
            liveColor: "green",
        });
        const { result: failure, load } = await underLoad(
            `${URL}/`,
            30,
            () => expectFailure(() => t.stack.up()),
            host.ns,
        );
        assert.match(
            failure.message,
            /verification failed: green answered \d+ of \d+ requests with 5xx \(\d+\.\d% > 1\.0%\) in \d+ s; traffic returned to blue \(bluegreen-sample:1\)/,
        );
        assertOnlyStatus(load, "500");
        assert.strictEqual(serving().color, "blue");
        await t.setConfig({ verifySeconds: "0", greenImage: "bluegreen-sample:2", liveColor: "blue" });
        await t.stack.up();
    });

    it("names the host and what failed, in one line, before changing anything", async () => {
        const before = containerIds();
        const cases: [string, RegExp][] = [
            [`ssh://nobody@${host.ip}`, /ssh refused the key/],
            [`ssh://root@${host.ip}:${host.noDockerPort}`, /there is no docker command on the host/],
            [`ssh://root@${host.ip}:${host.daemonDownPort}`, /the Docker daemon there does not answer/],
            [`ssh://root@${host.ip.replace(/\.\d+$/, ".99")}`, /the host is unreachable/],
        ];
        for (const [address, what] of cases) {
            const result = runPulumi({ ...t, env: { ...t.env, DOCKER_HOST: address } }, "preview");
            assert.notStrictEqual(result.code, 0, address);
            const line = result.output.split("\n").find((l) => l.includes("cannot reach the Docker engine"));
            assert.ok(line, `${address}: ${result.output}`);
            assert.ok(line.includes(`cannot reach the Docker engine at ${address}: `), line);
            assert.match(line, what);
            assert.match(line, /; nothing was changed$/);
        }
        assert.deepStrictEqual(containerIds(), before, "no container changed");
    });

    it("keeps blue serving when SSH is cut mid-release, and npm run recover converges", async () => {
        await t.setConfig({ greenImage: "bluegreen-sample:3", liveColor: "green" });
        const gets = startLoad({ url: `${URL}/`, seconds: 45, rpsPerConnection: 25, connections: 2, netns: host.ns });
        const posts = startLoad({
            url: `${URL}/`,
            seconds: 45,
            rpsPerConnection: 25,
            connections: 2,
            method: "POST",
            netns: host.ns,
        });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const oldGreen = remoteDocker(host.sock, "inspect", "--format", "{{.Id}}", `${t.name}-green`);
        const release = expectFailure(() => t.stack.up());
        // Cut once the release has touched the host: the old green container is gone or replaced.
        const deadline = Date.now() + 60000;
        for (;;) {
            const now = remoteDocker(host.sock, "ps", "-a", "-q", "--no-trunc", "--filter", `name=^${t.name}-green$`);
            if (now !== oldGreen || Date.now() > deadline) break;
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        harness("cut");
        const failed = await release;
        const why = failed.message.split("\n").find((l) => /error|failed/i.test(l)) ?? failed.message;
        console.log(
            `      release failed ${failed.seconds.toFixed(1)} s after it started: ${why.trim().slice(0, 200)}`,
        );
        assert.strictEqual(serving().color, "blue", "the old colour serves while the host is cut off");
        harness("restore");
        const recovered = runCli(t, "recover");
        assert.strictEqual(recovered.code, 0, recovered.output);
        assertNoLoss(await Promise.all([gets, posts]));
        assert.strictEqual(serving().color, "green");
        assert.match(serving().body, /^version=3 /);
    });

    it("serves two apps from one proxy on the host: one joins, then is released, under load on both, 0 failed", async () => {
        addApp(t, "api", "bluegreen-sample:1", PUBLIC_PORT + 4, { "hosts[0]": "api.test" });
        const apiLoad = () =>
            startLoad({
                url: `${URL}/`,
                host: "api.test",
                seconds: 25,
                rpsPerConnection: 20,
                connections: 1,
                netns: host.ns,
            });
        const ownBefore = containerIds();
        const joined = await underLoad(`${URL}/`, 20, () => t.stack.up(), host.ns);
        assertNoLoss(joined.load);
        assert.deepStrictEqual(containerIds(), ownBefore, "the stack's own app and nginx kept their containers");
        assert.match(remoteGet(host.ns, `${URL}/`, "api.test").body, /^version=1 /);
        assert.match(serving().body, /^version=3 /, "the stack's own app still serves its release");

        const api = apiLoad();
        const released = await underLoad(
            `${URL}/`,
            20,
            async () => runCli(t, "release", "--app", "api", "bluegreen-sample:2"),
            host.ns,
        );
        assert.strictEqual(released.result.code, 0, released.result.output);
        assertNoLoss([...released.load, await api]);
        assert.strictEqual(remoteGet(host.ns, `${URL}/`, "api.test").color, "green");
        assert.match(remoteGet(host.ns, `${URL}/`, "api.test").body, /^version=2 /);
        assert.deepStrictEqual(containerIds(), ownBefore);
        assert.match(
            runCli(t, "status", "--app", "api").output,
            /serving: green at http:\/\/127\.0\.0\.1:80 \(Host: api\.test\) \(from inside remote\d+-proxy\)/,
        );
    });
});
