// End to end on a multi-node Docker Swarm (scripts/swarm-harness.sh): the real Pulumi CLI, one
// dockerd per node in its own network namespace, nginx as a service on the manager. This process
// runs inside the manager's namespace (`swarm-harness.sh on 1 -- ...`), so 127.0.0.1 is the
// manager's loopback, where the proxy publishes its ports, and DOCKER_HOST is the manager's socket.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as path from "path";
import { docker, dockerOk } from "../../components/runtime/docker";
import { probe } from "../../components/runtime/probe";
import { RELOAD_VIA_EXEC_ENV } from "../../components/runtime/proxyShell";
import { assertNoLoss, expectFailure, underLoad } from "../support/load";
import { startLoad } from "../support/hey";
import { TEST_ENGINE } from "../support/engine";
import { createTestStack, runCli, sampleConfig, TestStack } from "../support/stack";
import { assertOnly503s, assertOnlyStatus, curl, fingerprintOf, servedCertificate } from "../support/edge";
import { removeCertFiles, selfSigned } from "../support/certs";
import { nodesOf } from "../support/swarm";

const PUBLIC_PORT = 18680;
const URL = `http://127.0.0.1:${PUBLIC_PORT}`;
const HEALTH_TIMEOUT_SECONDS = 10;
const HARNESS = path.resolve(__dirname, "../../../scripts/swarm-harness.sh");

async function serving(): Promise<{ body: string; color: unknown }> {
    const answer = await probe(`${URL}/`, 3000);
    return { body: answer.body, color: answer.headers["x-color"] };
}

/** The worker (not this manager) that runs a task of `service`. */
async function workerOf(service: string): Promise<string> {
    const manager = await dockerOk(["info", "--format", "{{.Name}}"]);
    const worker = (await nodesOf(service)).find((n) => n !== manager);
    assert.ok(worker, `${service} has a replica on a worker`);
    return worker!;
}

/** Polls (bounded) until the nodes of `service`'s running tasks satisfy `done`. */
async function waitForNodes(service: string, done: (nodes: string[]) => boolean, seconds = 60): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    let nodes: string[] = [];
    while (Date.now() < deadline) {
        nodes = await nodesOf(service);
        if (done(nodes)) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.fail(`${service}: tasks still on ${nodes.join(", ")} after ${seconds} s`);
}

/** Polls `check` every 500 ms until it holds; fails after `timeoutMs`. */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await check()) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

/**
 * Kills `worker`'s dockerd and containerd `afterMs` into `action`, under GET and POST load that
 * outlasts it; starts the node again afterwards whatever happened.
 */
async function killDuring(worker: string, action: () => Promise<void>, afterMs = 0) {
    const seconds = 40;
    const get = startLoad({ url: URL, seconds, rpsPerConnection: 25, connections: 2, method: "GET" });
    const post = startLoad({ url: URL, seconds, rpsPerConnection: 25, connections: 2, method: "POST" });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    try {
        const acting = action();
        await new Promise((resolve) => setTimeout(resolve, afterMs));
        harness("kill-node", worker.replace("bgswarm-", ""));
        await acting;
        const [gets, posts] = await Promise.all([get, post]);
        console.log(
            `      ${worker} killed: GET ${gets.ok}/${gets.total} ok ${JSON.stringify(gets.statuses)} ` +
                `POST ${posts.ok}/${posts.total} ok ${JSON.stringify(posts.statuses)}, p99 ${gets.p99Ms} ms`,
        );
        return { gets, posts };
    } finally {
        harness("start-node", worker.replace("bgswarm-", ""));
    }
}

/**
 * What a client sees when a node dies: the requests nginx was connecting to a replica on it
 * when its overlay address stopped answering get a 504 after proxy_connect_timeout (1 s), until
 * Docker's DNS drops the address (seconds). The request never reached the app, so POSTs are not
 * replayed; no connection is reset. Bounded at 1% of the load, and never anything but 504. The
 * one exception: a request already sent to a replica on the node at the instant it dies has no
 * answer to come (its network namespace is gone, no reset is sent) and the client times out; at
 * most one per client connection, since each sends one request at a time.
 */
function assertNodeLossBounded(
    ...loads: {
        method: string;
        total: number;
        failed: number;
        statuses: Record<string, number>;
        errors: Record<string, number>;
    }[]
): void {
    for (const l of loads) {
        assert.ok(l.total > 1000, `${l.method}: load ran (${l.total})`);
        const { Timeout: inFlight = 0, timeout: inFlightToo = 0, ...others } = l.errors;
        assert.deepStrictEqual(others, {}, `${l.method}: no connection errors but in-flight timeouts`);
        assert.ok(
            inFlight + inFlightToo <= 2,
            `${l.method}: ${inFlight + inFlightToo} timeouts, more than its 2 connections`,
        );
        assert.deepStrictEqual(
            Object.keys(l.statuses).filter((s) => s !== "504"),
            [],
            `${l.method}: only 504s`,
        );
        assert.ok(l.failed <= l.total * 0.01, `${l.method}: ${l.failed} of ${l.total} failed`);
    }
}

function harness(...args: string[]): string {
    return childProcess.execFileSync("bash", [HARNESS, ...args], { encoding: "utf8", timeout: 180000 });
}

describe("swarm end to end (multi-node harness, real Pulumi, nginx service)", function () {
    this.timeout(600000);
    let t: TestStack;

    before(async function () {
        // A missing swarm is a broken run, not a reason to skip.
        const info = await dockerOk(["info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"]);
        assert.strictEqual(
            info,
            "active true",
            "run this suite on a swarm manager: scripts/swarm-harness.sh on 1 -- ...",
        );
        const nodes = (await dockerOk(["node", "ls", "--format", "{{.Hostname}} {{.Status}}"])).split("\n");
        assert.ok(nodes.filter((n) => n.endsWith(" Ready")).length >= 2, `need 2 ready nodes: ${nodes.join(", ")}`);
        t = await createTestStack("swarm", {
            ...sampleConfig(PUBLIC_PORT),
            orchestrator: "swarm",
            replicas: "2",
            healthTimeoutSeconds: String(HEALTH_TIMEOUT_SECONDS),
        });
    });

    after(async () => {
        await t?.cleanup();
        removeCertFiles();
    });

    it("deploys 2 replicas per colour spread over at least 2 nodes, nginx on the manager", async () => {
        const result = await t.stack.up();
        assert.strictEqual(result.summary.result, "succeeded");
        assert.strictEqual(result.outputs.liveColor.value, "blue");
        const blueNodes = await nodesOf(`${t.name}-blue`);
        assert.strictEqual(blueNodes.length, 2, `blue runs 2 tasks: ${blueNodes}`);
        assert.strictEqual(new Set(blueNodes).size, 2, `blue's tasks are on 2 nodes: ${blueNodes}`);
        const manager = await dockerOk(["info", "--format", "{{.Name}}"]);
        assert.deepStrictEqual(await nodesOf(`${t.name}-proxy`), [manager]);
        const now = await serving();
        assert.match(now.body, /^version=1 /);
        assert.strictEqual(now.color, "blue");
        // The preview port reaches the idle colour through the proxy.
        const green = await probe(`http://127.0.0.1:${PUBLIC_PORT + 2}/`, 3000);
        assert.strictEqual(green.headers["x-color"], "green");
    });

    it("releases v2 onto green under load: 0 failed requests, X-Color and liveColor agree", async () => {
        const { result, load } = await underLoad(URL, 12, async () => runCli(t, "release", "bluegreen-sample:2"));
        assert.strictEqual(result.code, 0, result.output);
        assertNoLoss(load);
        const outputs = await t.stack.outputs();
        assert.strictEqual(outputs.liveColor.value, "green");
        const now = await serving();
        assert.strictEqual(now.color, outputs.liveColor.value);
        assert.match(now.body, /^version=2 /);
        assert.strictEqual(new Set(await nodesOf(`${t.name}-green`)).size, 2);
    });

    it("status shows each colour's replicas and their nodes", () => {
        const result = runCli(t, "status");
        assert.strictEqual(result.code, 0, result.output);
        assert.match(result.output, /orchestrator: swarm, 2 replicas per colour/);
        assert.match(
            result.output,
            /green +live +image=bluegreen-sample:2 replicas=2\/2 nodes=bgswarm-\d,bgswarm-\d health=ok/,
        );
    });

    it("rolls back to blue under load, reloading as with a remote manager: 0 failed requests", async () => {
        // The reload through the Docker API (docker exec), as when DOCKER_HOST is ssh:// or tcp://.
        process.env[RELOAD_VIA_EXEC_ENV] = "1";
        try {
            const { result, load } = await underLoad(URL, 10, async () => runCli(t, "rollback"));
            assert.strictEqual(result.code, 0, result.output);
            assertNoLoss(load);
            // Traffic first: the helper's own switch reloaded nginx, through docker exec.
            assert.match(
                result.output,
                /rollback: traffic on blue \(reload via exec; nginx answered it \d+ ms after\)/,
            );
        } finally {
            delete process.env[RELOAD_VIA_EXEC_ENV];
        }
        assert.strictEqual((await t.stack.outputs()).liveColor.value, "blue");
        assert.strictEqual((await serving()).color, "blue");
        const state = (await t.stack.exportStack()).deployment as {
            resources: { urn: string; outputs?: { reloadVia?: string } }[];
        };
        const proxySwitch = state.resources.find((r) => r.urn.endsWith(`::${t.name}-switch`));
        assert.strictEqual(
            proxySwitch?.outputs?.reloadVia,
            "none: nginx served it already",
            "its update found it done",
        );
    });

    it("a never-healthy release fails within the health timeout, blue keeps serving", async () => {
        const { result: failure, load } = await underLoad(URL, 30, async () =>
            expectFailure(async () => {
                await t.setConfig({ greenImage: "bluegreen-sample:unhealthy", liveColor: "green" });
                await t.stack.up();
            }),
        );
        assertNoLoss(load);
        assert.match(
            failure.message,
            /health check failed: green has 0 of 2 replicas healthy \(\S+ on bgswarm-\d: HTTP 500; /,
        );
        assert.match(failure.message, /\) after [\d.]+s \(needed 3 consecutive 2xx from each of 2\)/);
        const gate = Number(/ after ([\d.]+)s /.exec(failure.message)?.[1]);
        assert.ok(gate >= HEALTH_TIMEOUT_SECONDS && gate < HEALTH_TIMEOUT_SECONDS + 2, `gate gave up after ${gate} s`);
        // The fixed cost on top of the gate: replacing the service. docker.Service takes longer
        // there (README, "Engines and images": a swarm release 29 s against 13 s).
        const fixedCost = TEST_ENGINE === "docker-provider" ? 40 : 25;
        assert.ok(failure.seconds < HEALTH_TIMEOUT_SECONDS + fixedCost, `pulumi up failed after ${failure.seconds} s`);
        assert.strictEqual((await serving()).color, "blue");
    });

    it("a release whose image exists on one node only fails before the switch", async () => {
        // Tagged on the manager alone: the worker's replica cannot start there.
        await dockerOk(["tag", "bluegreen-sample:2", "bluegreen-sample:manager-only"]);
        try {
            const failure = await expectFailure(async () => {
                await t.setConfig({ greenImage: "bluegreen-sample:manager-only", liveColor: "green" });
                await t.stack.up();
            });
            assert.match(
                failure.message,
                /health check failed: green replica \S+ on bgswarm-\d cannot start: rejected/,
            );
            assert.match(failure.message, /No such image: bluegreen-sample:manager-only/);
            assert.strictEqual((await serving()).color, "blue");
        } finally {
            await docker(["rmi", "bluegreen-sample:manager-only"]);
            await t.setConfig({ greenImage: "bluegreen-sample:2", liveColor: "blue" });
        }
    });

    it("a worker's daemon killed in steady state: its replicas move, traffic continues", async () => {
        await t.stack.up(); // back in line: blue live, green on v2
        const worker = await workerOf(`${t.name}-blue`);
        const { gets, posts } = await killDuring(worker, async () => {
            await waitForNodes(`${t.name}-blue`, (nodes) => nodes.length === 2 && !nodes.includes(worker));
        });
        assertNodeLossBounded(gets, posts);
        assert.strictEqual((await serving()).color, "blue");
    });

    it("a worker's daemon killed during a release: the release completes on the nodes left", async () => {
        await t.setConfig({ greenImage: "bluegreen-sample:3", liveColor: "green", healthTimeoutSeconds: "45" });
        const worker = await dockerOk(["node", "ls", "--filter", "role=worker", "--format", "{{.Hostname}}"]);
        const { gets, posts } = await killDuring(
            worker,
            async () => {
                const result = await t.stack.up();
                assert.strictEqual(result.summary.result, "succeeded");
                assert.strictEqual(result.outputs.liveColor.value, "green");
                await waitForNodes(`${t.name}-green`, (nodes) => nodes.length === 2 && !nodes.includes(worker));
            },
            1500,
        );
        assertNodeLossBounded(gets, posts);
        const now = await serving();
        assert.strictEqual(now.color, "green");
        assert.match(now.body, /^version=3 /);
    });

    it("serves HTTPS with HTTP/2 and goes into maintenance and out, by reload, under HTTPS load", async () => {
        const httpsUrl = `https://127.0.0.1:${PUBLIC_PORT + 3}`;
        const proxyTask = () =>
            dockerOk(["ps", "--quiet", "--filter", `label=com.docker.swarm.service.name=${t.name}-proxy`]);
        const task = await proxyTask();
        const pair = selfSigned({ names: ["DNS:localhost", "IP:127.0.0.1"] });
        await t.setConfig({ tlsCertificate: pair.certificate });
        await t.setSecret("tlsKey", pair.key);
        await t.stack.up();
        const https = curl("-kv", "--http2", `${httpsUrl}/`);
        assert.match(https.output, /< HTTP\/2 200/);
        assert.match(https.output, /subject: CN=bluegreen test/);
        assert.strictEqual(servedCertificate(PUBLIC_PORT + 3).fingerprint, fingerprintOf(pair.certificate));
        assert.match(curl("-i", `${URL}/`).output, /^HTTP\/1\.1 301/);

        const on = await underLoad(`${httpsUrl}/`, 10, async () => runCli(t, "maintenance", "on"));
        assert.strictEqual(on.result.code, 0, on.result.output);
        assert.ok(assertOnly503s(on.load) > 50, "maintenance answered with 503");
        assert.match(curl("-ki", `${httpsUrl}/`).output, /^HTTP\/2 503[\s\S]*retry-after: 60/i);
        assert.match(curl("-ki", `${httpsUrl}/health`).output, /^HTTP\/2 200/);
        const off = await underLoad(`${httpsUrl}/`, 10, async () => runCli(t, "maintenance", "off"));
        assert.strictEqual(off.result.code, 0, off.result.output);
        assertOnly503s(off.load);
        assert.match(curl("-k", `${httpsUrl}/`).output, /^version=3 /);
        assert.strictEqual(await proxyTask(), task, "the proxy's task was not restarted");
    });

    it("a canary on a swarm: a sticky share of HTTPS clients to blue's replicas, then abort, 0 failed", async () => {
        const httpsUrl = `https://127.0.0.1:${PUBLIC_PORT + 3}`;
        const colorOf = (client: string) =>
            /^x-color: (\w+)/im.exec(curl("-ki", "-H", `Cookie: bg_client=${client}`, `${httpsUrl}/`).output)?.[1];
        const start = await underLoad(`${httpsUrl}/`, 30, async () =>
            runCli(t, "release", "bluegreen-sample:2", "--canary", "50"),
        );
        assert.strictEqual(start.result.code, 0, start.result.output);
        assertNoLoss(start.load);
        assert.strictEqual((await t.stack.outputs()).canary.value, "50% of clients to blue");
        const clients = Array.from({ length: 200 }, (_, i) => `swarm-client-${i}`);
        const seen = clients.map(colorOf);
        const blue = seen.filter((c) => c === "blue").length;
        assert.ok(blue >= 70 && blue <= 130, `blue serves ${blue} of 200 clients`);
        assert.strictEqual(seen.length, blue + seen.filter((c) => c === "green").length, `only the two colours`);
        for (const [i, client] of clients.slice(0, 20).entries()) {
            for (let k = 0; k < 5; k++) assert.strictEqual(colorOf(client), seen[i], `${client} stays`);
        }
        const abort = await underLoad(`${httpsUrl}/`, 12, async () => runCli(t, "abort"));
        assert.strictEqual(abort.result.code, 0, abort.result.output);
        assertNoLoss(abort.load);
        assert.deepStrictEqual(new Set(clients.slice(0, 40).map(colorOf)), new Set(["green"]));
    });

    it("verification: a release that fails under HTTPS load is rolled back by the same pulumi up", async () => {
        const httpsUrl = `https://127.0.0.1:${PUBLIC_PORT + 3}`;
        await t.setConfig({ verifySeconds: "10", minRequests: "20" });
        const { result, load } = await underLoad(`${httpsUrl}/`, 40, async () =>
            runCli(t, "release", "bluegreen-sample:failing"),
        );
        assert.notStrictEqual(result.code, 0, result.output);
        assert.match(
            result.output,
            /verification failed: blue answered \d+ of \d+ requests with 5xx \(\d+\.\d% > 1\.0%\) in \d+ s; traffic returned to green \(bluegreen-sample:3\)/,
        );
        const bad = assertOnlyStatus(load, "500");
        assert.ok(bad <= 2 * 50 * 10, `${bad} 5xx: more than the window's worth of load`);
        assert.match(curl("-k", `${httpsUrl}/`).output, /^version=3 /);
        const rollback = runCli(t, "rollback");
        assert.strictEqual(rollback.code, 0, rollback.output);
        assert.doesNotMatch(runCli(t, "status").output, /disagree/);
    });

    it("destroy removes the services, the volume and the overlay network", async () => {
        await t.stack.destroy();
        const services = await dockerOk(["service", "ls", "--quiet", "--filter", `name=${t.name}-`]);
        assert.strictEqual(services, "");
        // The manager removes an overlay network once its last task has left it: give it a few seconds.
        const gone = async (...inspect: string[]) => (await docker([...inspect])).code !== 0;
        await waitFor(() => gone("network", "inspect", `${t.name}-net`), "the overlay network removed", 15000);
        assert.ok(await gone("volume", "inspect", `${t.name}-proxy-files`), "the proxy's files volume removed");
    });
});
