import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as childProcess from "child_process";
import * as net from "net";
import { orphanedProviders, providerEngineAddress, staleLocks } from "../../scripts/locks";

describe("stale lock detection", () => {
    it("finds only this host's locks of the stack whose process is gone", () => {
        const backend = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-locks-"));
        try {
            const dir = path.join(backend, ".pulumi", "locks", "organization", "bluegreen", "dev");
            const other = path.join(backend, ".pulumi", "locks", "organization", "bluegreen", "prod");
            fs.mkdirSync(dir, { recursive: true });
            fs.mkdirSync(other, { recursive: true });
            const write = (where: string, name: string, pid: number, hostname = os.hostname()) =>
                fs.writeFileSync(path.join(where, name), JSON.stringify({ pid, hostname }));
            write(dir, "dead.json", 2 ** 22 + 12345); // above the kernel's pid limit: never alive
            write(dir, "alive.json", process.pid);
            write(dir, "elsewhere.json", 2 ** 22 + 1, "another-host");
            write(other, "dead-prod.json", 2 ** 22 + 2);
            assert.deepStrictEqual(staleLocks(`file://${backend}`, "dev"), [path.join(dir, "dead.json")]);
            assert.deepStrictEqual(staleLocks("s3://bucket", "dev"), []);
        } finally {
            fs.rmSync(backend, { recursive: true, force: true });
        }
    });
});

describe("orphaned dynamic provider detection", () => {
    it("finds provider processes whose engine address no longer answers, and only those", async () => {
        const engine = net.createServer();
        await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
        const live = `127.0.0.1:${(engine.address() as net.AddressInfo).port}`;
        const gone = net.createServer();
        await new Promise<void>((resolve) => gone.listen(0, "127.0.0.1", resolve));
        const dead = `127.0.0.1:${(gone.address() as net.AddressInfo).port}`;
        await new Promise((resolve) => gone.close(resolve));
        // Stand-ins with the plugin's command line: node <sdk>/cmd/dynamic-provider/index.js <engine>.
        const argv = (address: string) => [
            process.execPath,
            "-e",
            "setTimeout(() => {}, 30000)",
            "/x/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js",
            address,
        ];
        const fake = (address: string) => childProcess.spawn(argv(address)[0], argv(address).slice(1));
        const orphan = fake(dead);
        const working = fake(live);
        // A provider in another network namespace (a test host's): its 127.0.0.1 is not ours to probe.
        const elsewhere = childProcess.spawn("unshare", ["--net", ...argv(dead)]);
        try {
            await new Promise((resolve) => setTimeout(resolve, 300));
            assert.strictEqual(elsewhere.exitCode, null, "unshare --net runs here (make test runs as root)");
            const found = await orphanedProviders();
            assert.ok(found.includes(orphan.pid!), `the orphan ${orphan.pid} is found in ${found}`);
            assert.ok(!found.includes(working.pid!), "a provider whose engine answers is left alone");
            assert.ok(!found.includes(elsewhere.pid!), "a provider in another network namespace is left alone");
        } finally {
            orphan.kill("SIGKILL");
            working.kill("SIGKILL");
            elsewhere.kill("SIGKILL");
            engine.close();
        }
    });

    it("reads the engine address of resource plugins (docker, command) as of the dynamic provider", () => {
        const plugin = "/h/plugins/resource-docker-v5.0.0/pulumi-resource-docker";
        assert.strictEqual(providerEngineAddress([plugin, "127.0.0.1:4000"]), "127.0.0.1:4000");
        assert.strictEqual(providerEngineAddress(["pulumi-resource-command", "127.0.0.1:4001"]), "127.0.0.1:4001");
        assert.strictEqual(
            providerEngineAddress(["node", "/x/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js", "h:1"]),
            "h:1",
        );
        assert.strictEqual(providerEngineAddress(["/usr/bin/pulumi-language-nodejs", "127.0.0.1:4002"]), undefined);
        assert.strictEqual(providerEngineAddress(["node", "server.js", "127.0.0.1:4003"]), undefined);
    });
});
