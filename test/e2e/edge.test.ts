// End to end at the edge: HTTPS from config (turned on later, releases and rollbacks under HTTPS
// load, certificate rotation by reload, refusals), and maintenance mode on and off under load.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import { dockerOk } from "../../components/runtime/docker";
import { assertOnly503s, curl, fingerprintOf, servedCertificate } from "../support/edge";
import { assertNoLoss, expectFailure, underLoad } from "../support/load";
import { caSigned, Pair, removeCertFiles, selfSigned } from "../support/certs";
import { addApp, createTestStack, runCli, runPulumi, sampleConfig, TestStack } from "../support/stack";

const PUBLIC_PORT = 18480;
const HTTPS_PORT = PUBLIC_PORT + 3;
const HTTP_URL = `http://127.0.0.1:${PUBLIC_PORT}`;
const HTTPS_URL = `https://127.0.0.1:${HTTPS_PORT}`;

describe("HTTPS and maintenance at the proxy (real nginx, Docker, Pulumi)", function () {
    this.timeout(300000);
    let t: TestStack;
    let proxyId = "";
    let first: Pair;

    const containerIds = async () =>
        Promise.all(
            ["proxy", "blue", "green"].map((r) => dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-${r}`])),
        );

    before(async () => {
        first = selfSigned({ names: ["DNS:localhost", "IP:127.0.0.1"] });
        t = await createTestStack("edge", { ...sampleConfig(PUBLIC_PORT), healthIntervalMs: "100" });
    });

    after(async () => {
        await t?.cleanup();
        removeCertFiles();
    });

    it("deploys on plain HTTP with the HTTPS port published but not served", async () => {
        const result = await t.stack.up();
        assert.strictEqual(result.outputs.liveColor.value, "blue");
        assert.strictEqual(result.outputs.maintenance.value, "off");
        assert.strictEqual(result.outputs.httpsUrl, undefined);
        proxyId = await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-proxy`]);
        const ports = await dockerOk(["port", `${t.name}-proxy`]);
        assert.match(ports, new RegExp(`443/tcp -> 0\\.0\\.0\\.0:${HTTPS_PORT}`));
        assert.notStrictEqual(curl("-k", `${HTTPS_URL}/`).code, 0, "nothing answers TLS yet");
    });

    it("turns HTTPS on with one reload: HTTP/2 with the configured certificate, HTTP answers 301", async () => {
        await t.setConfig({ tlsCertificate: first.certificate, tlsHostnames: "localhost,127.0.0.1" });
        await t.setSecret("tlsKey", first.key);
        const preview = runCli(t, "preview");
        assert.strictEqual(preview.code, 0, preview.output);
        assert.match(preview.output.split("\n")[0], /^https on \(certificate [0-9a-f]{16}\)$/);
        const result = await t.stack.up();
        assert.strictEqual(result.outputs.httpsUrl.value, HTTPS_URL);
        assert.strictEqual(result.outputs.certificate.value.subject, "CN=bluegreen test");
        assert.strictEqual(await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-proxy`]), proxyId);

        const https = curl("-kv", "--http2", `${HTTPS_URL}/`);
        assert.strictEqual(https.code, 0, https.output);
        assert.match(https.output, /< HTTP\/2 200/);
        assert.match(https.output, /subject: CN=bluegreen test/);
        assert.match(https.output, /SSL connection using TLSv1\.3/);
        assert.match(https.output, /x-color: blue/i);
        assert.strictEqual(servedCertificate(HTTPS_PORT).fingerprint, fingerprintOf(first.certificate));
        const tls12 = curl("-kv", "--tlsv1.2", "--tls-max", "1.2", `${HTTPS_URL}/`);
        assert.match(tls12.output, /SSL connection using TLSv1\.2 \/ ECDHE/);
        assert.notStrictEqual(curl("-k", "--tlsv1.1", "--tls-max", "1.1", `${HTTPS_URL}/`).code, 0, "TLS 1.1 refused");

        const http = curl("-i", `${HTTP_URL}/some/path?q=1`);
        assert.match(http.output, /^HTTP\/1\.1 301/);
        assert.match(http.output, new RegExp(`Location: https://127\\.0\\.0\\.1:${HTTPS_PORT}/some/path\\?q=1`, "i"));
        assert.match(curl(`${HTTP_URL}/__bluegreen/version`).output, /^[0-9a-f]{12} blue$/m, "version stays on HTTP");
    });

    it("keeps the key out of outputs, previews and unencrypted state", async () => {
        const keyLine = first.key.split("\n")[1];
        const exported = runPulumi(t, "stack", "export").output;
        assert.ok(!exported.includes(keyLine), "the state holds the key only encrypted");
        assert.ok(!runPulumi(t, "preview", "--diff").output.includes(keyLine));
        assert.ok(!runPulumi(t, "stack", "output", "--json").output.includes(keyLine));
        const stateDir = path.join(t.workDir, ".state");
        const walk = (dir: string): string[] =>
            fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
                const full = path.join(dir, e.name);
                return e.isDirectory() ? walk(full) : [full];
            });
        for (const file of walk(stateDir)) {
            assert.ok(!fs.readFileSync(file, "utf8").includes(keyLine), `${file} holds the key in clear`);
        }
        const mode = await dockerOk([
            "exec",
            `${t.name}-proxy`,
            "sh",
            "-c",
            "stat -c %a /etc/nginx/bluegreen-files/*.key",
        ]);
        assert.strictEqual(mode, "600");
    });

    it("releases and rolls back under HTTPS keep-alive GET and POST load, 0 failed", async () => {
        await t.setConfig({ greenImage: "bluegreen-sample:2", liveColor: "green" });
        const release = await underLoad(`${HTTPS_URL}/`, 14, () => t.stack.up());
        assertNoLoss(release.load);
        assert.strictEqual(release.result.outputs.liveColor.value, "green");
        assert.match(curl("-k", `${HTTPS_URL}/`).output, /^version=2 /);
        await t.setConfig({ liveColor: "blue" });
        const rollback = await underLoad(`${HTTPS_URL}/`, 10, () => t.stack.up());
        assertNoLoss(rollback.load);
        assert.match(curl("-k", `${HTTPS_URL}/`).output, /^version=1 /);
    });

    it("rotates the certificate with a reload under HTTPS load, 0 failed, old files pruned", async () => {
        const files = () => dockerOk(["exec", `${t.name}-proxy`, "ls", "/etc/nginx/bluegreen-files"]);
        const before = (await files()).split("\n");
        const second = caSigned({ names: ["DNS:localhost", "IP:127.0.0.1"] });
        await t.setConfig({ tlsCertificate: second.chain });
        await t.setSecret("tlsKey", second.key);
        assert.match(
            runCli(t, "preview").output.split("\n")[0],
            /^https: new certificate [0-9a-f]{16} -> [0-9a-f]{16}$/,
        );
        const rotation = await underLoad(`${HTTPS_URL}/`, 10, () => t.stack.up());
        assertNoLoss(rotation.load);
        assert.strictEqual(servedCertificate(HTTPS_PORT).fingerprint, fingerprintOf(second.certificate));
        assert.match(servedCertificate(HTTPS_PORT).subject, /bluegreen test leaf/);
        assert.strictEqual(await dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-proxy`]), proxyId);
        // Five days left: every preview and up warns (a certificate from config does not renew).
        const third = selfSigned({ names: ["DNS:localhost"], days: 5 });
        await t.setConfig({ tlsCertificate: third.certificate, tlsHostnames: "localhost" });
        await t.setSecret("tlsKey", third.key);
        assert.match(
            runPulumi(t, "preview").output,
            /warning: Proxy "[^"]+": tlsCertificate expires in 4 day\(s\), at \S+ \(CN=bluegreen test\): renew it soon/,
        );
        await t.stack.up();
        const after = (await files()).split("\n");
        // The current pair and the previous one (kept for a restore); the first pair is gone.
        assert.strictEqual(after.length, 4, after.join(" "));
        for (const name of before) {
            assert.ok(!after.includes(name), `${name} was pruned`);
        }
    });

    it("refuses a key that is not the certificate's at preview, touching nothing", async () => {
        const ids = await containerIds();
        const version = (await t.stack.outputs()).proxyConfigVersion.value;
        await t.setSecret("tlsKey", first.key);
        const preview = runCli(t, "preview");
        assert.strictEqual(preview.code, 1);
        assert.match(preview.output.split("\n")[0], /^bluegreen:tlsKey does not match bluegreen:tlsCertificate/);
        const failure = await expectFailure(() => t.stack.up());
        assert.match(failure.message, /bluegreen:tlsKey does not match/);
        assert.ok(!failure.message.includes(first.key.split("\n")[1]), "the key is never shown");
        assert.deepStrictEqual(await containerIds(), ids);
        assert.match(curl(`${HTTP_URL}/__bluegreen/version`).output, new RegExp(`^${version} blue$`, "m"));
        assert.strictEqual(curl("-k", `${HTTPS_URL}/`).code, 0, "HTTPS still serves");
    });

    it("goes into maintenance and out under HTTPS load: only nginx's 503s, health still answers", async () => {
        // Back to a pair that matches (the previous test left a wrong key in config).
        const pair = selfSigned({ names: ["DNS:localhost", "IP:127.0.0.1"] });
        await t.setConfig({ tlsCertificate: pair.certificate, tlsHostnames: "localhost", tlsRedirect: "off" });
        await t.setSecret("tlsKey", pair.key);
        await t.stack.up();
        await t.setConfig({ maintenanceMessage: "Upgrading the database, back at 10:00 UTC.", maintenance: "on" });
        assert.strictEqual(
            runCli(t, "preview").output.split("\n")[0],
            "maintenance on: nginx answers 503 for every path but /health",
        );
        const on = await underLoad(`${HTTPS_URL}/`, 10, async () => runCli(t, "maintenance", "on"));
        assert.strictEqual(on.result.code, 0, on.result.output);
        const unavailable = assertOnly503s(on.load);
        assert.ok(unavailable > 50, `maintenance answered ${unavailable} requests with 503`);
        for (const url of [`${HTTPS_URL}/any/path`, `${HTTP_URL}/`]) {
            const answer = curl("-ki", url);
            assert.match(answer.output, /^HTTP\/[12](\.1)? 503/);
            assert.match(answer.output, /retry-after: 60/i);
            assert.match(answer.output, /Upgrading the database, back at 10:00 UTC\./);
        }
        assert.match(curl("-ki", `${HTTPS_URL}/health`).output, /^HTTP\/[12](\.1)? 200[\s\S]*x-color: blue/i);
        assert.match(curl(`${HTTP_URL}/__bluegreen/version`).output, /^[0-9a-f]{12} blue$/m);
        // The release guard still sees the live colour behind the 503s and refuses replacing it.
        await t.setConfig({ blueImage: "bluegreen-sample:3" });
        assert.match(runCli(t, "preview").output.split("\n")[0], /^refused: blueImage changed/);
        await t.setConfig({ blueImage: "bluegreen-sample:1" });
        const status = runCli(t, "status");
        assert.match(status.output, /^maintenance: on/m);
        assert.match(
            status.output,
            /^https: +served at https:\/\/127\.0\.0\.1:\d+: subject=CN=bluegreen test issuer=CN=bluegreen test expires=\S+ \(\d+ days left\)/m,
        );
        assert.strictEqual((await t.stack.outputs()).maintenance.value, "on");

        assert.match(runCli(t, "preview").output, /^no change/);
        await t.setConfig({ maintenance: "off" });
        assert.strictEqual(
            runCli(t, "preview").output.split("\n")[0],
            "maintenance off: nginx serves the live colour again",
        );
        const off = await underLoad(`${HTTPS_URL}/`, 10, async () => runCli(t, "maintenance", "off"));
        assert.strictEqual(off.result.code, 0, off.result.output);
        assertOnly503s(off.load);
        assert.match(curl("-k", `${HTTPS_URL}/`).output, /^version=1 /);
        assert.match(curl(`${HTTP_URL}/`).output, /^version=1 /, "redirect off: HTTP serves too");
    });

    it("serves an app of `apps` its own certificate by SNI (key a secret, kept out of state); a plain key refused", async () => {
        const api = selfSigned({ commonName: "api", names: ["DNS:api.test"] });
        const set = (flags: string[], key: string, value: string) => {
            const result = childProcess.spawnSync(
                "pulumi",
                [
                    "config",
                    "set",
                    ...flags,
                    "--stack",
                    t.name,
                    "--non-interactive",
                    `bluegreen:apps.api.${key}`,
                    "--",
                    value,
                ],
                { cwd: t.workDir, env: { ...process.env, ...t.env }, encoding: "utf8" },
            );
            assert.strictEqual(result.status, 0, `${result.stdout}${result.stderr}`);
        };
        addApp(t, "api", "bluegreen-sample:2", PUBLIC_PORT + 4, { "hosts[0]": "api.test" });
        set(["--path"], "tlsCertificate", api.certificate);
        set(["--path"], "tlsKey", api.key);
        const plain = runCli(t, "preview");
        assert.notStrictEqual(plain.code, 0);
        assert.match(
            plain.output,
            /bluegreen:apps\.api\.tlsKey must be set as a secret: pulumi config set --secret --path/,
        );
        assert.ok(!plain.output.includes(api.key.split("\n")[1]), "the key is never shown");
        set(["--path", "--secret"], "tlsKey", api.key);
        const ids = await containerIds();
        const proxyCertificate = servedCertificate(HTTPS_PORT, "localhost").fingerprint;
        const { load } = await underLoad(`${HTTPS_URL}/`, 20, () => t.stack.up());
        assertNoLoss(load);
        assert.deepStrictEqual(await containerIds(), ids, "the own app's containers and nginx's kept");
        assert.strictEqual(servedCertificate(HTTPS_PORT, "api.test").fingerprint, fingerprintOf(api.certificate));
        assert.strictEqual(servedCertificate(HTTPS_PORT, "localhost").fingerprint, proxyCertificate);
        const answer = curl("-k", "--resolve", `api.test:${HTTPS_PORT}:127.0.0.1`, `https://api.test:${HTTPS_PORT}/`);
        assert.match(answer.output, /^version=2 /);
        const outputs = await t.stack.outputs();
        assert.strictEqual(
            (outputs.apps.value as Record<string, { certificate: { subject: string } }>).api.certificate.subject,
            "CN=api",
        );
        assert.ok(!runPulumi(t, "stack", "export").output.includes(api.key.split("\n")[1]), "state holds it encrypted");
        runPulumi(t, "config", "rm", "--path", "bluegreen:apps");
        await t.stack.up();
        assert.strictEqual(servedCertificate(HTTPS_PORT, "api.test").fingerprint, proxyCertificate);
    });
});
