// Images from a real registry (Debian's docker-registry on 127.0.0.1): a fresh stack whose images
// are only in the registry, a release under load, a tag that does not exist, and a moved tag.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, dockerOk } from "../../components/runtime/docker";
import { probe } from "../../components/runtime/probe";
import { assertNoLoss, expectFailure, underLoad } from "../support/load";
import { pullFailure, TEST_ENGINE } from "../support/engine";
import { startRegistry, TestRegistry } from "../support/registry";
import { createTestStack, runCli, sampleConfig, TestStack } from "../support/stack";

const PUBLIC_PORT = 18380;
const URL = `http://127.0.0.1:${PUBLIC_PORT}`;

async function serving(): Promise<{ body: string; color: unknown }> {
    const answer = await probe(`${URL}/`, 3000);
    return { body: answer.body, color: answer.headers["x-color"] };
}

async function containerId(t: TestStack, color: string): Promise<string> {
    return dockerOk(["inspect", "--format", "{{.Id}}", `${t.name}-${color}`]);
}

/** The digest `npm run status` shows for a colour. */
function statusDigest(t: TestStack, color: string): string {
    const status = runCli(t, "status");
    const line = status.output.split("\n").find((l) => l.startsWith(`${color} `));
    const digest = / digest=(\S+)/.exec(line ?? "")?.[1];
    assert.ok(digest, `status shows a digest for ${color}:\n${status.output}`);
    return digest;
}

describe("images from a registry (real docker-registry, Pulumi, Docker, nginx)", function () {
    this.timeout(600000);
    let registry: TestRegistry;
    let t: TestStack;
    const ref: Record<string, string> = {};

    before(async () => {
        registry = await startRegistry();
        ref.v1 = await registry.push("bluegreen-sample:1", "team/app:1");
        ref.v2 = await registry.push("bluegreen-sample:2", "team/app:2");
        ref.proxy = await registry.push("bluegreen-nginx:local", "team/nginx:1.30");
        for (const r of Object.values(ref)) {
            const local = await dockerOk(["image", "ls", "--quiet", r]);
            assert.strictEqual(local, "", `${r} is only in the registry`);
        }
        t = await createTestStack("reg", {
            ...sampleConfig(PUBLIC_PORT),
            blueImage: ref.v1,
            greenImage: ref.v1,
            proxyImage: ref.proxy,
            healthIntervalMs: "100",
        });
    });

    after(async () => {
        await t?.cleanup();
        await registry?.stop();
        // The pulled tags; the images themselves stay under their local names.
        for (const r of Object.values(ref)) {
            await docker(["image", "rm", r]);
        }
    });

    it("deploys a fresh stack whose proxy and colour images are only in the registry", async () => {
        const result = await t.stack.up();
        assert.strictEqual(result.outputs.liveColor.value, "blue");
        assert.strictEqual(result.outputs.engine.value, TEST_ENGINE);
        assert.match(result.outputs.blueDigest.value, new RegExp(`^${registry.host}/team/app@sha256:[0-9a-f]{64}$`));
        const now = await serving();
        assert.match(now.body, /^version=1 /);
        assert.strictEqual(now.color, "blue");
    });

    it("releases an image that is only in the registry, under load, losing nothing", async () => {
        const { result, load } = await underLoad(`${URL}/`, 12, async () => runCli(t, "release", ref.v2));
        assert.strictEqual(result.code, 0, result.output);
        assertNoLoss(load);
        const now = await serving();
        assert.match(now.body, /^version=2 /);
        assert.strictEqual(now.color, "green");
    });

    it("fails a release of a tag that does not exist in one line, before touching the idle colour", async () => {
        const blueBefore = await containerId(t, "blue");
        const missing = `${registry.host}/team/app:does-not-exist`;
        const { result, load } = await underLoad(`${URL}/`, 10, async () => runCli(t, "release", missing));
        assert.notStrictEqual(result.code, 0);
        assertNoLoss(load);
        const failure = pullFailure(missing, registry.host, "not found");
        assert.ok(
            result.output.split("\n").some((l) => failure.test(l)),
            `one line says ${failure}:\n${result.output}`,
        );
        if (TEST_ENGINE === "docker-cli") {
            assert.match(result.output, /could not be pulled from .*; nothing was changed/);
        }
        assert.strictEqual(await containerId(t, "blue"), blueBefore, "the idle colour's container was not touched");
        assert.strictEqual((await serving()).color, "green", "traffic stays on the live colour");
        await t.setConfig({ blueImage: ref.v1, liveColor: "green" });
    });

    it("shows a moved tag's new digest only after a release pulls it", async () => {
        await t.stack.up(); // config back in line with what runs
        const green = statusDigest(t, "green");
        // team/app:2 (green, live) now names other bytes in the registry.
        const moved = await registry.push("bluegreen-sample:3", "team/app:2");
        assert.strictEqual(moved, ref.v2);
        assert.strictEqual(statusDigest(t, "green"), green, "no pull yet: green runs the bytes it was released with");
        assert.match((await serving()).body, /^version=2 /);

        const release = runCli(t, "release", ref.v2); // onto blue, which runs team/app:1
        assert.strictEqual(release.code, 0, release.output);
        const blue = statusDigest(t, "blue");
        assert.notStrictEqual(blue, green, "blue pulled the moved tag");
        assert.match(blue, /team\/app@sha256:/);
        assert.match((await serving()).body, /^version=3 /);
        assert.strictEqual(statusDigest(t, "green"), green, "the standby keeps the bytes it ran");

        // A rollback returns to those exact bytes, although the tag now names others.
        const rollback = runCli(t, "rollback");
        assert.strictEqual(rollback.code, 0, rollback.output);
        assert.match((await serving()).body, /^version=2 /);
    });
});

describe("images from a registry that needs a login (bluegreen:registryAuth)", function () {
    this.timeout(300000);
    const login = { username: "ci", password: `pw-${process.pid}` };
    let registry: TestRegistry;
    let t: TestStack;
    let ref = "";

    before(async () => {
        registry = await startRegistry(login);
        ref = await registry.push("bluegreen-sample:2", "team/private:2");
        t = await createTestStack("regauth", { ...sampleConfig(PUBLIC_PORT + 100), healthIntervalMs: "100" });
        await t.stack.up();
    });

    after(async () => {
        await t?.cleanup();
        await registry?.stop();
        await docker(["image", "rm", ref]);
    });

    it("fails a release without the login in one line, traffic untouched", async () => {
        await t.setConfig({ greenImage: ref, liveColor: "green" });
        const failure = await expectFailure(() => t.stack.up());
        assert.match(failure.message, pullFailure(ref, registry.host, "(auth|credentials)"));
        assert.strictEqual((await probe(`http://127.0.0.1:${PUBLIC_PORT + 100}/`, 3000)).headers["x-color"], "blue");
    });

    it("releases with the login from the registryAuth secret, leaving the user's Docker config alone", async () => {
        const value = JSON.stringify({ [registry.host]: login });
        await t.stack.setConfig("bluegreen:registryAuth", { value, secret: true });
        const result = await t.stack.up();
        assert.strictEqual(result.outputs.liveColor.value, "green");
        const answer = await probe(`http://127.0.0.1:${PUBLIC_PORT + 100}/`, 3000);
        assert.match(answer.body, /^version=2 /);
        // The stack's file on disk (the Automation API's export shows secrets decrypted).
        const stackFile = path.join(t.workDir, ".state", ".pulumi", "stacks", "bluegreen", `${t.name}.json`);
        const state = fs.readFileSync(stackFile, "utf8");
        assert.match(state, /"registryAuth"/, `${stackFile} records the logins`);
        assert.ok(!state.includes(login.password), "the password is encrypted in the stack's state");
        const userConfig = path.join(os.homedir(), ".docker", "config.json");
        const text = fs.existsSync(userConfig) ? fs.readFileSync(userConfig, "utf8") : "";
        assert.ok(!text.includes(registry.host), "no login was written to ~/.docker/config.json");
    });
});
