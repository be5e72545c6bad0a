// Choosing the engine, and the image rules behind pulls: plain functions, no Docker.
import * as assert from "assert";
import { parseSettings } from "../../components/core/config";
import { validateRegistryAuth } from "../../components/core/validate";
import { ConfigError } from "../../components/core/configError";
import { chooseEngine, EngineFacts } from "../../components/core/engineRules";
import { registryHost, repoDigestOf } from "../../components/core/imageRef";

const facts = (over: Partial<EngineFacts> = {}): EngineFacts => ({
    running: [],
    pluginsAvailable: false,
    plugins: "docker v4.5.6, command v1.0.1",
    ...over,
});

describe("engine choice", () => {
    it("auto: docker-provider on a new stack when the plugins can be had, else docker-cli", () => {
        assert.strictEqual(chooseEngine("auto", facts({ pluginsAvailable: true })), "docker-provider");
        assert.strictEqual(chooseEngine("auto", facts({ pluginsAvailable: false })), "docker-cli");
    });

    it("auto keeps the engine a deployed stack's containers were made with", () => {
        assert.strictEqual(
            chooseEngine("auto", facts({ running: ["docker-cli"], pluginsAvailable: true })),
            "docker-cli",
        );
        assert.strictEqual(chooseEngine("auto", facts({ running: ["docker-provider"] })), "docker-provider");
    });

    it("refuses to change the engine of a deployed stack, in one line saying what to run", () => {
        assert.throws(
            () => chooseEngine("docker-provider", facts({ running: ["docker-cli"], pluginsAvailable: true })),
            (err: Error) =>
                err instanceof ConfigError &&
                /^bluegreen:engine is docker-provider but this stack's containers run on docker-cli; .*pulumi config set engine docker-cli/.test(
                    err.message,
                ) &&
                !err.message.includes("\n"),
        );
        assert.strictEqual(chooseEngine("docker-cli", facts({ running: ["docker-cli"] })), "docker-cli");
    });

    it("refuses docker-provider where its plugins cannot be had, naming them", () => {
        assert.throws(
            () => chooseEngine("docker-provider", facts()),
            /plugins it needs \(docker v4\.5\.6, command v1\.0\.1\)/,
        );
        assert.strictEqual(chooseEngine("docker-cli", facts({ pluginsAvailable: true })), "docker-cli");
    });

    it("validates bluegreen:engine against its allowed values", () => {
        const read = (engine?: string) => (k: string) =>
            ({ liveColor: "blue", blueImage: "a:1", greenImage: "a:1", engine })[k];
        assert.strictEqual(parseSettings(read()).engine, "auto");
        assert.strictEqual(parseSettings(read("docker-cli")).engine, "docker-cli");
        assert.throws(
            () => parseSettings(read("kubernetes")),
            /bluegreen:engine must be one of: auto, docker-cli, docker-provider \(got "kubernetes"\)$/,
        );
    });
});

describe("registry logins and hosts", () => {
    it("reads registryAuth logins by host and never echoes the value", () => {
        const auth = validateRegistryAuth(
            "registryAuth",
            '{"127.0.0.1:5000":{"username":"ci","password":"s3cret"},"registry.example":{"username":"u","password":"p"}}',
        );
        assert.deepStrictEqual(auth["127.0.0.1:5000"], { username: "ci", password: "s3cret" });
        for (const bad of [
            "s3cret",
            "[]",
            '{"bad host":{"username":"u","password":"s3cret"}}',
            '{"h.io":{"password":"s3cret"}}',
        ]) {
            assert.throws(
                () => validateRegistryAuth("bluegreen:registryAuth", bad),
                (err: Error) =>
                    /^bluegreen:registryAuth must be a JSON object/.test(err.message) &&
                    !err.message.includes("s3cret"),
                bad,
            );
        }
    });

    it("knows which references name a registry (always pulled) and which are local or Docker Hub", () => {
        assert.strictEqual(registryHost("127.0.0.1:5000/app:v2"), "127.0.0.1:5000");
        assert.strictEqual(registryHost("registry.example/team/app@sha256:" + "a".repeat(64)), "registry.example");
        assert.strictEqual(registryHost("localhost/app"), "localhost");
        assert.strictEqual(registryHost("nginx:1.28.0"), undefined);
        assert.strictEqual(registryHost("library/nginx:1.28.0"), undefined);
        assert.strictEqual(registryHost("bluegreen-sample:1"), undefined);
    });

    it("takes the digest of the reference's own repository only", () => {
        const d = (n: string) => `sha256:${n.repeat(64)}`;
        const digests = [`127.0.0.1:5000/team/app@${d("a")}`, `registry.example/app@${d("b")}`];
        assert.strictEqual(repoDigestOf("registry.example/app:v2", digests), `registry.example/app@${d("b")}`);
        assert.strictEqual(repoDigestOf("127.0.0.1:5000/team/app", digests), `127.0.0.1:5000/team/app@${d("a")}`);
        assert.strictEqual(repoDigestOf(`registry.example/app@${d("c")}`, digests), `registry.example/app@${d("b")}`);
        assert.strictEqual(repoDigestOf("bluegreen-sample:2", digests), "", "a local build pushed elsewhere once");
        assert.strictEqual(repoDigestOf("app:1", null), "");
    });
});
