// Teams: the stack's state only in a shared backend (PostgreSQL, an S3-compatible bucket), two
// clones of the program deploying it (a CI runner and a laptop), deployers killed mid-release, and
// secrets. Real servers on loopback (test/support/stateServers.ts), real Pulumi, Docker and nginx,
// GET and POST keep-alive load around every move.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, dockerOk } from "../../components/runtime/docker";
import { stackConfig } from "../../scripts/stackFiles";
import { assertNoLoss, underLoad } from "../support/load";
import { removeCertFiles, selfSigned } from "../support/certs";
import { startRegistry } from "../support/registry";
import { routedClient } from "../support/routed";
import { createTestStack, runCli, startCli, runPulumi, sampleConfig, TestStack } from "../support/stack";
import { StateServer, startPostgres, startS3 } from "../support/stateServers";

const REPO = path.resolve(__dirname, "../../..");

/** A second clone of the program (a laptop beside the CI runner): its own directory and temp dir, the same stack file. */
function secondClone(t: TestStack): TestStack {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-clone-"));
    for (const file of ["Pulumi.yaml", "package.json"]) fs.copyFileSync(path.join(REPO, file), path.join(dir, file));
    for (const link of ["bin", "scripts", "node_modules"]) fs.symlinkSync(path.join(REPO, link), path.join(dir, link));
    fs.mkdirSync(path.join(dir, "tmp"));
    const clone = { ...t, workDir: dir, env: { ...t.env, TMPDIR: path.join(dir, "tmp") } };
    pull(t, clone);
    return clone;
}

/** The stack file of `from` copied to `to`, as `git pull` brings a teammate's committed config. */
function pull(from: TestStack, to: TestStack): void {
    const file = `Pulumi.${from.name}.yaml`;
    fs.copyFileSync(path.join(from.workDir, file), path.join(to.workDir, file));
}

/** Runs `helper` until `when` holds, then SIGKILLs it and its pulumi (at most 120 s). */
async function killWhen(run: ReturnType<typeof startCli>, when: () => Promise<boolean>): Promise<string> {
    const deadline = Date.now() + 120000;
    while (Date.now() < deadline && run.child.exitCode === null) {
        if (await when()) {
            process.kill(-run.child.pid!, "SIGKILL");
            await run.done;
            return run.output();
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ps = childProcess.spawnSync("ps", ["-eo", "pid,ppid,etime,args"], { encoding: "utf8" }).stdout;
    throw new Error(
        `the kill point was never reached:\n${run.output()}\n${ps
            .split("\n")
            .filter((l) => /pulumi/.test(l))
            .join("\n")}`,
    );
}

function ok(result: { code: number; output: string }): string {
    assert.strictEqual(result.code, 0, result.output);
    return result.output;
}

function backendSuite(kind: "postgres" | "s3", start: () => Promise<StateServer>, publicPort: number): void {
    describe(`state in ${kind === "postgres" ? "PostgreSQL" : "an S3-compatible bucket (versitygw)"}`, function () {
        this.timeout(900000);
        const url = `http://127.0.0.1:${publicPort}`;
        const { answer } = routedClient(url);
        const serving = async () => (await answer("/__bluegreen/version")).split(" ")[2];
        let server: StateServer;
        let a: TestStack; // the CI runner's clone
        let b: TestStack; // the laptop's
        const ids = async () =>
            dockerOk(["inspect", "--format", "{{.Id}}", `${a.name}-blue`, `${a.name}-green`, `${a.name}-proxy`]);

        before(async () => {
            server = await start(); // on a free port: a fixed one may be taken on a busy machine
            a = await createTestStack(kind === "postgres" ? "pg" : "s3", sampleConfig(publicPort), server.env);
            await a.stack.up();
            b = secondClone(a);
        });

        after(async () => {
            try {
                await a?.cleanup();
            } finally {
                if (b) fs.rmSync(b.workDir, { recursive: true, force: true });
                server?.stop();
            }
        });

        it("releases and rolls back under load; status and preview read the shared state; no local state", async () => {
            const released = await underLoad(url, 12, async () => runCli(a, "release", "bluegreen-sample:2"));
            assertNoLoss(released.load);
            ok(released.result);
            assert.match(await answer("/"), /^200 version=2 /);
            const rolledBack = await underLoad(url, 8, async () => runCli(a, "rollback"));
            assertNoLoss(rolledBack.load);
            ok(rolledBack.result);
            assert.match(await answer("/"), /^200 version=1 /);
            pull(a, b);
            assert.match(ok(runCli(b, "status")), /blue +live +image=bluegreen-sample:1/);
            assert.match(ok(runCli(b, "preview")), /^no change/m);
            assert.ok(!fs.existsSync(path.join(a.workDir, ".state", ".pulumi")), "nothing in a local file backend");
            assert.ok(server.stateBytes() > 1000, `the ${kind} server holds the state (${server.stateBytes()} bytes)`);
        });

        it("two clones release at once: one wins, the other fails fast naming the lock's holder; traffic moves once", async () => {
            const run = await underLoad(url, 20, async () =>
                Promise.all(
                    [startCli(a, "release", "bluegreen-sample:3"), startCli(b, "release", "bluegreen-sample:3")].map(
                        (r) => r.done,
                    ),
                ),
            );
            assertNoLoss(run.load);
            const outputs = run.result.map((r) => r.output).join("\n---\n");
            assert.deepStrictEqual(run.result.map((r) => r.code).sort(), [0, 2], outputs);
            const loser = run.result.find((r) => r.code === 2)!.output;
            assert.match(
                loser,
                /^error: the stack \S+ is locked by another pulumi update \(pid \d+ of \S+ on \S+ since \S+; [^)]+\); nothing changed: wait for it to end, then npm run status$/m,
            );
            assert.match(await answer("/"), /^200 version=3 /);
            assert.strictEqual(await serving(), "green");
            const [winner, other] = run.result[0].code === 0 ? [a, b] : [b, a];
            assert.strictEqual(stackConfig(winner.workDir, a.name)?.liveColor, "green");
            assert.strictEqual(
                stackConfig(other.workDir, a.name)?.liveColor,
                "blue",
                "the loser's config is as it was",
            );
            if (winner === b) pull(b, a);
            else pull(a, b);
        });

        it("two pulumi up by hand at once: one runs, the other fails on the lock naming its holder", async () => {
            const up = (t: TestStack) =>
                new Promise<{ code: number; output: string }>((resolve) => {
                    const child = childProcess.spawn(
                        "pulumi",
                        ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", t.name],
                        {
                            cwd: t.workDir,
                            env: { ...process.env, ...t.env },
                        },
                    );
                    let output = "";
                    child.stdout.on("data", (d) => (output += d));
                    child.stderr.on("data", (d) => (output += d));
                    child.on("close", (code) => resolve({ code: code ?? 1, output }));
                });
            const results = await Promise.all([up(a), up(b)]);
            assert.deepStrictEqual(
                results.map((r) => r.code !== 0).sort(),
                [false, true],
                results.map((r) => r.output).join("\n---\n"),
            );
            assert.match(
                results.find((r) => r.code !== 0)!.output,
                /the stack is currently locked by 1 lock\(s\)[\s\S]*created by \S+@\S+ \(pid \d+\) at \S+/,
            );
            assert.strictEqual(await serving(), "green");
        });

        it("a deployer killed in the health gate, then in the switch: the old colour serves; recover on the other clone converges", async () => {
            const run = await underLoad(url, 60, async () => {
                const gate = startCli(a, "release", "bluegreen-sample:2");
                await killWhen(gate, async () =>
                    new RegExp(`${a.name}-blue-health +(creating|updating)`).test(gate.output()),
                );
                const servedAfterGate = await serving();
                const recoveredGate = runCli(b, "recover");
                const switching = startCli(a, "release", "bluegreen-sample:2");
                await killWhen(switching, async () => (await serving()) === "blue");
                // Whoever recovers works from the release's config (the CI runner's change, pushed).
                pull(a, b);
                const recoveredSwitch = runCli(b, "recover");
                return { servedAfterGate, recoveredGate, recoveredSwitch };
            });
            assertNoLoss(run.load);
            assert.strictEqual(run.result.servedAfterGate, "green", "the old colour kept serving");
            assert.match(
                ok(run.result.recoveredGate),
                /recover: removing the lock of a pulumi process that is gone \(pid \d+ of/,
            );
            assert.match(ok(run.result.recoveredSwitch), /recover: removing the lock of a pulumi process that is gone/);
            // The release's config (blue live on 2) is what the stack converged to.
            assert.strictEqual(await serving(), "blue");
            assert.match(await answer("/"), /^200 version=2 /);
            assert.match(ok(runCli(b, "preview")), /^no change/m);
        });

        it("recover leaves a lock it cannot prove stale (another host), naming the command that removes it", async () => {
            const before = await ids();
            server.plantLock(a.name, {
                pid: 4242,
                username: "ci",
                hostname: "ci-runner-7",
                timestamp: "2026-12-07T23:00:00Z",
            });
            const refused = runCli(b, "recover");
            assert.strictEqual(refused.code, 2, refused.output);
            const command = /remove the lock with: (pulumi cancel --yes --stack \S+); then npm run recover/.exec(
                refused.output,
            );
            assert.ok(command, refused.output);
            assert.match(refused.output, /locked by pid 4242 of ci on ci-runner-7 since 2026-12-07T23:00:00Z/);
            const release = runCli(b, "release", "bluegreen-sample:1");
            assert.strictEqual(release.code, 2, release.output);
            assert.match(
                release.output,
                /is locked by another pulumi update \(pid 4242 of ci on ci-runner-7 .*\); nothing changed/,
            );
            assert.strictEqual(await ids(), before, "nothing was touched");
            ok(runPulumi(b, ...command![1].split(" ").slice(1, -2)));
            ok(runCli(b, "recover"));
            assert.strictEqual(await ids(), before, "no container replaced");
        });

        it("keeps the registry login encrypted in the backend and the stack file; another clone reads it; a wrong passphrase changes nothing", async () => {
            const login = { username: "ci", password: `pw-${process.pid}-${kind}` };
            const registry = await startRegistry(login);
            const ref = await registry.push("bluegreen-sample:2", `team/private:${kind}`);
            try {
                const value = JSON.stringify({ [registry.host]: login });
                ok(runPulumi(a, "config", "set", "--secret", "bluegreen:registryAuth", value));
                const released = await underLoad(url, 12, async () => runCli(a, "release", ref));
                assertNoLoss(released.load);
                ok(released.result);
                assert.match(await answer("/"), /^200 version=2 /);
                const stackFile = fs.readFileSync(path.join(a.workDir, `Pulumi.${a.name}.yaml`), "utf8");
                assert.match(stackFile, /registryAuth:\s+secure: /);
                assert.ok(!stackFile.includes(login.password), "the stack file holds the login encrypted");
                const state = server.stateText();
                assert.match(state, /registryAuth/, "the state records the logins");
                assert.ok(!state.includes(login.password), `the ${kind} backend holds the login encrypted`);
                pull(a, b);
                assert.strictEqual(ok(runPulumi(b, "config", "get", "bluegreen:registryAuth")).trim(), value);
                const before = await ids();
                const beforeFile = fs.readFileSync(path.join(b.workDir, `Pulumi.${a.name}.yaml`), "utf8");
                const wrong = { ...b, env: { ...b.env, PULUMI_CONFIG_PASSPHRASE: "not-the-passphrase" } };
                const refused = runCli(wrong, "release", "bluegreen-sample:3");
                assert.notStrictEqual(refused.code, 0, refused.output);
                assert.match(refused.output, /PULUMI_CONFIG_PASSPHRASE/);
                assert.strictEqual(fs.readFileSync(path.join(b.workDir, `Pulumi.${a.name}.yaml`), "utf8"), beforeFile);
                assert.strictEqual(await ids(), before, "nothing was touched");
                assert.match(await answer("/"), /^200 version=2 /);
            } finally {
                await registry.stop();
                await docker(["image", "rm", ref]);
            }
        });

        it("keeps the TLS key encrypted in the backend and the stack file; another clone reads it", async () => {
            const pair = selfSigned({ names: ["DNS:localhost", "IP:127.0.0.1"] });
            await a.setConfig({ tlsCertificate: pair.certificate, tlsHostnames: "localhost,127.0.0.1" });
            await a.setSecret("tlsKey", pair.key);
            const result = await a.stack.up();
            assert.strictEqual(result.outputs.httpsUrl.value, `https://127.0.0.1:${publicPort + 3}`);
            const keyBody = pair.key.split("\n")[1]; // a line of the key's base64, as any copy would hold it
            const stackFile = fs.readFileSync(path.join(a.workDir, `Pulumi.${a.name}.yaml`), "utf8");
            assert.match(stackFile, /tlsKey:\s+secure: /);
            assert.ok(!stackFile.includes(keyBody), "the stack file holds the key encrypted");
            const state = server.stateText();
            assert.match(state, /tlsKey|BEGIN CERTIFICATE|tlsCertificate/, "the state records the certificate");
            assert.ok(!state.includes(keyBody), `the ${kind} backend holds the key encrypted`);
            pull(a, b);
            assert.strictEqual(ok(runPulumi(b, "config", "get", "bluegreen:tlsKey")).trim(), pair.key.trim());
        });

        it("destroys the stack from the shared state", async () => {
            await a.stack.destroy();
            const left = await dockerOk(["ps", "-aq", "--filter", `name=^${a.name}-`]);
            assert.strictEqual(left, "", "no container left");
        });
    });
}

describe("teams: stack state in a shared backend", function () {
    after(() => removeCertFiles());
    backendSuite("postgres", startPostgres, 20380);
    backendSuite("s3", startS3, 20480);
});
