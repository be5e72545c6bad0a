// End to end with a real ACME server (Debian's pebble, on the stack's network): the first
// `pulumi up` that sets tlsAcmeEmail gets a certificate over HTTP-01 through nginx; the agent beside
// the proxy renews it on its own, under HTTPS load; a failed renewal is shown and the old
// certificate keeps serving.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dockerOk } from "../../components/runtime/docker";
import { agentStatus } from "../../components/providers/acmeGate";
import { startLoad } from "../support/hey";
import { assertNoLoss, underLoad } from "../support/load";
import { curl, servedCertificate } from "../support/edge";
import { removeCertFiles } from "../support/certs";
import { Pebble, startPebble } from "../support/pebble";
import { addApp, createTestStack, runCli, sampleConfig, TestStack } from "../support/stack";

const PUBLIC_PORT = 18580;
const HTTPS_PORT = PUBLIC_PORT + 3;
const HOST = "app.test";
const API_HOST = "api.test";
/** Pebble's certificates last this long: the agent renews at a third left, about every 40 s. */
const VALIDITY_SECONDS = 60;

/** Polls `check` every 500 ms until it returns a value; fails after `seconds`. */
async function waitFor<T>(what: string, seconds: number, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        const value = await check();
        if (value !== undefined) return value;
        if (Date.now() > deadline) assert.fail(`timed out after ${seconds} s waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
}

describe("ACME certificates from a local ACME server (pebble), obtained and renewed beside the proxy", function () {
    this.timeout(600000);
    let t: TestStack;
    let pebble: Pebble;
    let rootFile = "";

    /** curl to https://app.test, verifying the chain against pebble's root. */
    const verified = () =>
        curl("--cacert", rootFile, "--resolve", `${HOST}:${HTTPS_PORT}:127.0.0.1`, `https://${HOST}:${HTTPS_PORT}/`);

    before(async () => {
        t = await createTestStack("acme", { ...sampleConfig(PUBLIC_PORT), healthIntervalMs: "100" });
        await t.stack.up(); // the network and the proxy, on plain HTTP
        pebble = await startPebble(t.name, VALIDITY_SECONDS);
        rootFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-acme-root-")), "root.pem");
    });

    after(async () => {
        await pebble?.remove();
        await t?.cleanup();
        removeCertFiles();
        if (rootFile) fs.rmSync(path.dirname(rootFile), { recursive: true, force: true });
    });

    it("gets a certificate at the first pulumi up that asks for it, under HTTP load, 0 failed", async () => {
        const proxyId = await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-proxy`]);
        await t.setConfig({
            tlsAcmeEmail: "ops@app.test",
            tlsHostnames: HOST,
            tlsAcmeDirectory: pebble.directory,
            tlsAcmeDirectoryCa: pebble.directoryCa,
            tlsRedirect: "off",
        });
        assert.strictEqual(runCli(t, "preview").output.split("\n")[0], "https on (certificate from ACME)");
        const { result, load } = await underLoad(`http://127.0.0.1:${PUBLIC_PORT}/`, 25, () => t.stack.up());
        assertNoLoss(load);
        assert.match(result.outputs.certificate.value.issuer, /Pebble/);
        assert.strictEqual(await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-proxy`]), proxyId);
        fs.writeFileSync(rootFile, await pebble.root());
        const https = verified();
        assert.strictEqual(https.code, 0, `the chain verifies against pebble's root: ${https.output}`);
        assert.match(https.output, /^version=1 /);
        const status = await agentStatus(`${t.name}-acme`);
        assert.strictEqual(status?.state, "issued");
        assert.strictEqual(status?.served, true);
        assert.match(servedCertificate(HTTPS_PORT).subject, /^CN ?= ?app\.test$/);
    });

    it("covers the host names of an app added to the proxy: one certificate for both, under HTTP load", async () => {
        const proxyId = await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-proxy`]);
        addApp(t, "api", "bluegreen-sample:2", PUBLIC_PORT + 4, { "hosts[0]": API_HOST });
        const { result, load } = await underLoad(`http://127.0.0.1:${PUBLIC_PORT}/`, 25, () => t.stack.up());
        assertNoLoss(load);
        assert.strictEqual(await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-proxy`]), proxyId);
        const apps = result.outputs.apps.value as Record<string, { certificate: { names: string[]; issuer: string } }>;
        assert.deepStrictEqual(apps.api.certificate.names, [HOST, API_HOST]);
        assert.match(apps.api.certificate.issuer, /Pebble/);
        fs.writeFileSync(rootFile, await pebble.root());
        const api = curl(
            "--cacert",
            rootFile,
            "--resolve",
            `${API_HOST}:${HTTPS_PORT}:127.0.0.1`,
            `https://${API_HOST}:${HTTPS_PORT}/`,
        );
        assert.strictEqual(api.code, 0, `api.test's chain verifies: ${api.output}`);
        assert.match(api.output, /^version=2 /, "api.test reaches the app that claims it");
        assert.strictEqual(verified().code, 0, "app.test still verifies");
        assert.match(verified().output, /^version=1 /);
    });

    it("renews on its own before expiry, with no pulumi up, under HTTPS load: 0 failed", async () => {
        const before = await agentStatus(`${t.name}-acme`);
        const load = Promise.all(
            (["GET", "POST"] as const).map((method) =>
                startLoad({
                    url: `https://127.0.0.1:${HTTPS_PORT}/`,
                    seconds: 55,
                    rpsPerConnection: 25,
                    connections: 2,
                    method,
                }),
            ),
        );
        const renewed = await waitFor("a renewal", 50, async () => {
            const now = await agentStatus(`${t.name}-acme`);
            return now?.serial !== before?.serial && now?.served ? now : undefined;
        });
        assertNoLoss(await load);
        assert.ok((renewed.renewals ?? 0) >= 1, JSON.stringify(renewed));
        assert.strictEqual(verified().code, 0, "the renewed chain verifies");
        const status = runCli(t, "status").output;
        assert.match(
            status,
            /^acme: +issued by .*Pebble.*, serial [0-9a-f]+, expires \S+, renews at \S+, [1-9]\d* renewal\(s\)$/m,
        );
        assert.match(status, /^https: +served at https:\/\/127\.0\.0\.1:\d+: subject=CN=app\.test issuer=.*Pebble/m);
    });

    it("a failed renewal is logged and shown by status; the installed certificate keeps serving", async () => {
        await pebble.stop();
        const stopped = Date.now() - 1000; // the agent stamps whole seconds
        const failed = await waitFor("a failed renewal", 60, async () => {
            const now = await agentStatus(`${t.name}-acme`);
            return now?.lastError && Date.parse(now.lastErrorAt ?? "") >= stopped ? now : undefined;
        });
        console.log(`      renewal failed as expected: ${failed.lastError}`);
        assert.match(failed.lastError ?? "", /14000|connect|refused|no such host|timeout/i);
        const status = runCli(t, "status").output;
        assert.match(status, /^acme: +issued by .*; last failure at \S+: /m);
        const logs = childProcess.spawnSync("docker", ["logs", `${t.name}-acme`], { encoding: "utf8" });
        assert.match(
            `${logs.stdout}${logs.stderr}`,
            /certificate request failed, the installed certificate keeps serving/,
        );
        assert.strictEqual(curl("-k", `https://127.0.0.1:${HTTPS_PORT}/`).code, 0, "HTTPS still answers");
        assert.match(servedCertificate(HTTPS_PORT).subject, /^CN ?= ?app\.test$/);
    });
});
