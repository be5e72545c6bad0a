// Upgrade without a blip: a stack deployed by the release before the Proxy/App API (the program was
// one BlueGreenService) takes the new code with one `pulumi up` that replaces, restarts or
// recreates nothing, under GET+POST load; its state (the old dynamic provider texts among it) then
// refreshes, releases and destroys with the new code. On both engines, with HTTPS and a smoke test.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ENGINE_NAMES } from "../../components/core/engineRules";
import { docker, dockerOk } from "../../components/runtime/docker";
import { probe } from "../../components/runtime/probe";
import { selfSigned } from "../support/certs";
import { assertNoLoss, underLoad } from "../support/load";
import { fileBackendEnv, sampleConfig } from "../support/stack";
import { previousMain } from "../support/previousMain";

const REPO = path.resolve(__dirname, "../../..");
const PUBLIC_PORT = 19380;
const URL = `http://127.0.0.1:${PUBLIC_PORT}`;

/** A stack's program directory pointing at one checkout's build (`bin/`, `scripts/`, Pulumi.yaml). */
function useCode(workDir: string, checkout: string): void {
    for (const file of ["Pulumi.yaml", "package.json"]) {
        fs.copyFileSync(path.join(checkout, file), path.join(workDir, file));
    }
    for (const link of ["bin", "scripts", "node_modules"]) {
        fs.rmSync(path.join(workDir, link), { force: true });
        fs.symlinkSync(path.join(checkout, link), path.join(workDir, link));
    }
}

describe("upgrading a stack deployed by the previous main (one BlueGreenService)", function () {
    this.timeout(900000);
    let previous = "";

    before(() => {
        previous = previousMain();
    });

    for (const engine of ENGINE_NAMES) {
        describe(`on ${engine}`, () => {
            const stack = `upg${engine === "docker-cli" ? "c" : "p"}${process.pid}`;
            const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `bluegreen-upgrade-${engine}-`));
            const env = { ...process.env, ...fileBackendEnv(path.join(workDir, ".state"), "upgrade-test") };
            const pulumi = (...args: string[]) => {
                // Flags before a `--` (values such as a PEM start with dashes).
                const end = args.includes("--") ? args.indexOf("--") : args.length;
                const argv = [...args.slice(0, end), "--stack", stack, "--non-interactive", ...args.slice(end)];
                const result = childProcess.spawnSync("pulumi", argv, {
                    cwd: workDir,
                    env,
                    encoding: "utf8",
                    timeout: 600000,
                });
                const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
                assert.strictEqual(result.status, 0, `pulumi ${args.join(" ")} failed:\n${output.slice(-4000)}`);
                return output;
            };
            const ids = async () =>
                dockerOk([
                    "ps",
                    "--no-trunc",
                    "--filter",
                    `label=io.bluegreen.managed=${stack}`,
                    "--format",
                    "{{.Names}} {{.ID}}",
                ]);

            after(async () => {
                childProcess.spawnSync("pulumi", ["destroy", "--yes", "--stack", stack, "--non-interactive"], {
                    cwd: workDir,
                    env,
                });
                for (const role of ["proxy", "blue", "green"]) {
                    await docker(["rm", "-f", `${stack}-${role}`]);
                }
                await docker(["network", "rm", `${stack}-net`]);
                fs.rmSync(workDir, { recursive: true, force: true });
            });

            it("deploys with the previous main and releases once (HTTPS, a smoke test)", async () => {
                useCode(workDir, previous);
                pulumi("stack", "init");
                const cert = selfSigned({ names: ["DNS:localhost", "IP:127.0.0.1"] });
                const config: Record<string, string> = {
                    engine,
                    ...sampleConfig(PUBLIC_PORT),
                    tlsRedirect: "off",
                    smokeTest: 'test "$(curl -s "$TARGET_URL/health")" = ok',
                };
                for (const [key, value] of Object.entries(config)) {
                    pulumi("config", "set", `bluegreen:${key}`, "--", value);
                }
                pulumi("config", "set", "bluegreen:tlsCertificate", "--", cert.certificate);
                pulumi("config", "set", "--secret", "bluegreen:tlsKey", "--", cert.key);
                pulumi("up", "--yes", "--skip-preview");
                pulumi("config", "set", "bluegreen:greenImage", "bluegreen-sample:2");
                pulumi("config", "set", "bluegreen:liveColor", "green");
                pulumi("up", "--yes", "--skip-preview");
                assert.match((await probe(`${URL}/`, 3000)).body, /^version=2 /);
                assert.match(pulumi("stack", "export"), /bluegreen:index:BlueGreenService/);
            });

            it("takes the new code with one pulumi up: only the Proxy component is new, no container touched, 0 failed", async () => {
                const before = await ids();
                assert.strictEqual(before.split("\n").length, 3, before);
                useCode(workDir, REPO);
                const preview = pulumi("preview", "--diff");
                assert.match(preview, /\+ 1 to create/);
                assert.doesNotMatch(preview, /to (replace|delete|update)|\+-|-\s+bluegreen/, preview);
                const { result, load } = await underLoad(URL, 15, async () => pulumi("up", "--yes", "--skip-preview"));
                assertNoLoss(load);
                assert.match(result, /\+ 1 created/);
                assert.doesNotMatch(result, /replaced|deleted|updated/);
                assert.strictEqual(await ids(), before, "every container kept its ID");
                const exported = pulumi("stack", "export");
                assert.doesNotMatch(exported, /BlueGreenService/, "the old component is gone from state");
                assert.match(exported, /bluegreen:index:App/);
                assert.match((await probe(`${URL}/`, 3000)).body, /^version=2 /);
            });

            it("refreshes, releases and rolls back the upgraded state with the new code", async () => {
                const refresh = pulumi("refresh", "--yes");
                assert.doesNotMatch(refresh, /error/i);
                assert.doesNotMatch(pulumi("preview"), /to (create|replace|delete|update)/);
                pulumi("config", "set", "bluegreen:blueImage", "bluegreen-sample:3");
                pulumi("config", "set", "bluegreen:liveColor", "blue");
                const release = await underLoad(URL, 15, async () => pulumi("up", "--yes", "--skip-preview"));
                assertNoLoss(release.load);
                assert.match((await probe(`${URL}/`, 3000)).body, /^version=3 /);
                pulumi("config", "set", "bluegreen:liveColor", "green");
                pulumi("up", "--yes", "--skip-preview");
                assert.match((await probe(`${URL}/`, 3000)).body, /^version=2 /);
            });

            it("destroys the upgraded stack completely", async () => {
                pulumi("destroy", "--yes");
                assert.strictEqual(await ids(), "");
                assert.notStrictEqual((await docker(["network", "inspect", `${stack}-net`])).code, 0);
            });
        });
    }
});
