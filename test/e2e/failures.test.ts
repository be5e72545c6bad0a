// The failure matrix: what can break mid-release, against the real Pulumi CLI, Docker and nginx.
// Each case asserts that the previous colour keeps serving and that the stack converges after.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { docker, dockerOk } from "../../components/runtime/docker";
import { probe } from "../../components/runtime/probe";
import { BREAK_CONFIG_ENV } from "../../components/providers/proxySwitch";
import { assertNoLoss, expectFailure, underLoad } from "../support/load";
import { orphanedPlugins, processAlive } from "../../scripts/locks";
import { TEST_ENGINE } from "../support/engine";
import { createTestStack, sampleConfig, runCli, TestStack } from "../support/stack";

const PUBLIC_PORT = 18280;
const URL = `http://127.0.0.1:${PUBLIC_PORT}`;

async function xColor(): Promise<unknown> {
    return (await probe(`${URL}/`, 3000)).headers["x-color"];
}

/** An HTTP request on its own connection, resolving with status and body. */
function request(method: string, url: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method, agent: false, timeout: 30000 }, (res) => {
            let body = "";
            res.on("data", (chunk) => (body += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end(method === "POST" ? "payload=1" : undefined);
    });
}

/** `pulumi up` as a separate process group, killed with SIGKILL once `when` says so. */
async function upKilledWhen(t: TestStack, when: (output: string) => Promise<boolean>): Promise<string> {
    const child = childProcess.spawn(
        "pulumi",
        ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", t.name],
        {
            cwd: t.workDir,
            env: { ...process.env, ...t.env },
            detached: true,
        },
    );
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    const deadline = Date.now() + 120000;
    while (Date.now() < deadline && child.exitCode === null) {
        if (await when(output)) {
            process.kill(-child.pid!, "SIGKILL");
            await exited;
            return output;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`the kill point was never reached; pulumi output:\n${output}`);
}

async function assertConverged(t: TestStack, expected: string): Promise<void> {
    const recovered = runCli(t, "recover");
    assert.strictEqual(recovered.code, 0, recovered.output);
    assert.deepStrictEqual(await orphanedPlugins(), [], "no provider process of the killed run is left");
    const outputs = await t.stack.outputs();
    assert.strictEqual(outputs.liveColor.value, expected);
    assert.strictEqual(await xColor(), expected, "the liveColor output equals what nginx serves");
    const preview = await t.stack.preview();
    const changes = Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && n > 0);
    assert.deepStrictEqual(changes, [], "nothing left to do");
}

describe("failure matrix (real Pulumi, Docker, nginx)", function () {
    this.timeout(300000);
    let t: TestStack;

    before(async () => {
        t = await createTestStack("fail", {
            ...sampleConfig(PUBLIC_PORT),
            healthTimeoutSeconds: "6",
            healthIntervalMs: "200",
        });
        await t.stack.up();
        assert.strictEqual(await xColor(), "blue");
    });

    after(async () => {
        await t?.cleanup();
    });

    it("2. never promotes a flapping release", async () => {
        await t.setConfig({ greenImage: "bluegreen-sample:flaky", liveColor: "green" });
        const { message } = await expectFailure(() => t.stack.up());
        assert.match(message, /health check failed: green is not healthy .*best run 1\)/);
        assert.strictEqual(await xColor(), "blue");
        // Back in line: blue live, a good image staged on green.
        await t.setConfig({ greenImage: "bluegreen-sample:1", liveColor: "blue" });
        await t.stack.up();
    });

    it("stops the switch when the smoke test fails, and passes it TARGET_URL", async () => {
        const marker = `${t.workDir}/smoke-target`;
        await t.setConfig({ liveColor: "green", smokeTest: `echo "$TARGET_COLOR $TARGET_URL" > ${marker}; exit 3` });
        const { message } = await expectFailure(() => t.stack.up());
        // The docker-CLI engine's own smoke test says it in one line; command.local.Command in its words.
        const expected =
            TEST_ENGINE === "docker-provider"
                ? /exit status 3/
                : /smoke test against green \(http:\/\/127\.0\.0\.1:18282\) exited 3/;
        assert.match(message, expected);
        assert.strictEqual(fs.readFileSync(marker, "utf8"), `green http://127.0.0.1:${PUBLIC_PORT + 2}\n`);
        assert.strictEqual(await xColor(), "blue");
        await t.setConfig({ liveColor: "blue", smokeTest: "" });
        await t.stack.up();
    });

    it("3. restores the previous config when nginx rejects the new one; traffic never stops", async () => {
        await t.setConfig({ liveColor: "green" });
        t.workspaceEnv[BREAK_CONFIG_ENV] = "1";
        try {
            const { result: failure, load } = await underLoad(`${URL}/`, 10, () => expectFailure(() => t.stack.up()));
            assertNoLoss(load);
            assert.match(
                failure.message,
                /proxy switch to green failed: nginx rejected the config: \[emerg\] unknown directive/,
            );
            assert.match(failure.message, /previous config still serving/);
        } finally {
            delete t.workspaceEnv[BREAK_CONFIG_ENV];
        }
        assert.strictEqual(await xColor(), "blue");
        await t.setConfig({ liveColor: "blue" });
        await t.stack.up();
    });

    it("6. completes 5-second requests in flight across a switch", async () => {
        const inFlight = [
            ...Array.from({ length: 5 }, () => request("GET", `${URL}/?sleep=5s`)),
            ...Array.from({ length: 5 }, () => request("POST", `${URL}/?sleep=5s`)),
        ];
        await new Promise((resolve) => setTimeout(resolve, 300));
        await t.setConfig({ liveColor: "green" });
        await t.stack.up();
        const answers = await Promise.all(inFlight);
        for (const answer of answers) {
            assert.strictEqual(answer.status, 200);
            assert.match(answer.body, /^version=1 /);
        }
        assert.strictEqual(await xColor(), "green");
    });

    it("5. runs exactly one of two concurrent pulumi up; the other fails fast on the lock", async () => {
        await t.setConfig({ liveColor: "blue" });
        const started = Date.now();
        const results = await Promise.allSettled([t.stack.up(), t.stack.up()]);
        const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
        assert.strictEqual(failed.length, 1, "exactly one ran");
        assert.match(String(failed[0].reason), /the stack is currently locked by 1 lock\(s\)/);
        assert.ok(Date.now() - started < 60000);
        assert.strictEqual(await xColor(), "blue");
        const preview = await t.stack.preview();
        assert.strictEqual(preview.changeSummary.update ?? 0, 0, "nothing corrupted, nothing left to do");
    });

    it("8. reports a dead standby in status and refuses to roll back to it", async () => {
        await dockerOk(["stop", `${t.name}-green`]);
        try {
            const status = runCli(t, "status");
            assert.strictEqual(status.code, 1, status.output);
            assert.match(
                status.output,
                /green +standby image=bluegreen-sample:1 digest=sha256:[0-9a-f]{64} container=exited health=no response/,
            );
            const rollback = runCli(t, "rollback");
            assert.strictEqual(rollback.code, 2, rollback.output);
            assert.match(rollback.output, /rollback refused: the green container \S+-green is exited/);
            assert.strictEqual(await xColor(), "blue");
        } finally {
            await dockerOk(["start", `${t.name}-green`]);
        }
    });

    it("7. brings a crashed or restarted proxy back serving the live colour, with no drift", async () => {
        const pid = await dockerOk(["inspect", "--format", "{{.State.Pid}}", `${t.name}-proxy`]);
        process.kill(Number(pid), "SIGKILL"); // a crash, not a manual stop: the restart policy applies
        await waitFor(async () => (await xColor()) === "blue", "proxy back after a crash");
        await dockerOk(["restart", `${t.name}-proxy`]);
        await waitFor(async () => (await xColor()) === "blue", "proxy back after a restart");
        const preview = await t.stack.preview();
        assert.strictEqual(preview.changeSummary.update ?? 0, 0, "no drift");
    });

    it("7b. comes back serving the live colour after the Docker daemon restarts (CI only)", async function () {
        // Restarting the engine stops every container on the machine: only where the test owns it.
        if (process.env.CI !== "true" && process.env.BLUEGREEN_TEST_RESTART_DOCKERD !== "1") {
            this.skip();
        }
        this.timeout(900000); // it may wait for the engine lock (scripts/test.sh) as long as a suite beside it runs
        const live = await xColor();
        // The machine's engine by its default pid file: other dockerds (a swarm harness's nodes) may run too.
        const pid = fs.readFileSync("/var/run/docker.pid", "utf8").trim();
        const engineScript = path.resolve(__dirname, "../../../scripts/docker-engine.sh");
        const restart = `kill -TERM ${pid}; for _ in $(seq 600); do kill -0 ${pid} 2>/dev/null && ! grep -q ') Z' /proc/${pid}/stat || break; sleep 0.1; done; bash ${engineScript}`;
        // Stop and start under the engine lock when make test runs a suite beside this one on the same engine
        // (-o: the new dockerd must not inherit the lock, or it would hold it for good).
        const lock = process.env.BLUEGREEN_ENGINE_LOCK;
        childProcess.execFileSync(
            lock ? "flock" : "bash",
            lock ? ["-x", "-o", lock, "bash", "-c", restart] : ["-c", restart],
            {
                stdio: "inherit",
            },
        );
        assert.ok(!processAlive(Number(pid)), "the old dockerd stopped");
        await waitFor(async () => (await xColor()) === live, "proxy serving again after the daemon restart", 60000);
        const preview = await t.stack.preview();
        assert.strictEqual(preview.changeSummary.update ?? 0, 0, "no drift");
    });

    it("10. exposes colours on loopback only, mounts no Docker socket, runs nginx workers unprivileged", async () => {
        const listening = childProcess.execFileSync("ss", ["-Hltn"], { encoding: "utf8" });
        for (const port of [PUBLIC_PORT + 1, PUBLIC_PORT + 2]) {
            const sockets = listening.split("\n").filter((l) => new RegExp(`:${port}\\s`).test(l));
            assert.ok(sockets.length > 0, `port ${port} listens`);
            for (const socket of sockets) {
                assert.match(socket, new RegExp(`\\s127\\.0\\.0\\.1:${port}\\s`), `only on loopback: ${socket}`);
            }
        }
        for (const role of ["proxy", "blue", "green"]) {
            const mounts = await dockerOk(["inspect", "--format", "{{json .Mounts}}", `${t.name}-${role}`]);
            assert.ok(!mounts.includes("docker.sock"), `${role} mounts no Docker socket: ${mounts}`);
        }
        const processes = await dockerOk(["top", `${t.name}-proxy`, "-o", "pid,user,args"]);
        const workers = processes.split("\n").filter((l) => l.includes("nginx: worker process"));
        assert.ok(workers.length >= 1, processes);
        for (const worker of workers) {
            assert.doesNotMatch(worker, /^\s*\d+\s+root\s/, `worker not root: ${worker}`);
        }
    });

    it("4a. converges after pulumi up is killed right after the idle container was replaced", async () => {
        const before = await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-green`]);
        await t.setConfig({ greenImage: "bluegreen-sample:2", liveColor: "green" });
        await upKilledWhen(t, async () => {
            const now = await docker(["inspect", "--format", "{{.Id}}", `${t.name}-green`]);
            return now.code === 0 && now.stdout.trim() !== before;
        });
        assert.strictEqual(await xColor(), "blue", "traffic did not move");
        await assertConverged(t, "green");
    });

    it("4b. converges after pulumi up is killed during the health check", async () => {
        await t.setConfig({ blueImage: "bluegreen-sample:3", liveColor: "blue" });
        await upKilledWhen(t, async (output) => new RegExp(`${t.name}-blue-health updating`).test(output));
        assert.strictEqual(await xColor(), "green", "traffic did not move");
        await assertConverged(t, "blue");
    });

    it("4c. converges after pulumi up is killed right after the reload", async () => {
        await t.setConfig({ liveColor: "green" });
        await upKilledWhen(t, async () => (await xColor()) === "green");
        await assertConverged(t, "green");
    });

    it("4d. converges after pulumi up is killed while verifying; recover stops nginx's answers log", async () => {
        const marker = () => docker(["exec", `${t.name}-proxy`, "test", "-e", "/var/log/bluegreen/verifying"]);
        await t.setConfig({ verifySeconds: "60", liveColor: "blue" });
        await upKilledWhen(t, async () => (await xColor()) === "blue" && (await marker()).code === 0);
        await t.setConfig({ verifySeconds: "0" }); // recover's own up need not watch another minute
        const recovered = runCli(t, "recover");
        assert.match(
            recovered.output,
            /recover: nginx in \S+-proxy was still logging answers for an interrupted verification: stopped/,
        );
        assert.strictEqual(recovered.code, 0, recovered.output);
        assert.notStrictEqual((await marker()).code, 0, "nginx no longer logs");
        await assertConverged(t, "blue");
    });
});

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await check()) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`timed out waiting: ${what}`);
}
