import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as childProcess from "child_process";
import * as net from "net";
import { removeBrokenSidecars } from "../../scripts/backends/fileSidecars";
import { isLockOf, postgresTarget, stackLocks } from "../../scripts/backends/stackLocks";
import { s3Location } from "../../scripts/backends/s3Client";
import {
    describeLock,
    isStale,
    lockedMessage,
    lockHolder,
    orphanedPlugins,
    processAlive,
    providerEngineAddress,
} from "../../scripts/locks";

describe("stale lock detection", () => {
    it("finds only this host's locks of the project's stack whose process is gone", async () => {
        const backend = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-locks-"));
        try {
            const at = (project: string, stack: string) =>
                path.join(backend, ".pulumi", "locks", "organization", project, stack);
            const write = (where: string, name: string, pid: number, hostname = os.hostname()) => {
                fs.mkdirSync(where, { recursive: true });
                fs.writeFileSync(
                    path.join(where, name),
                    JSON.stringify({ pid, hostname, username: "ci", timestamp: "2026-12-07T22:59:01Z" }),
                );
            };
            write(at("bluegreen", "dev"), "dead.json", 2 ** 22 + 12345); // above the kernel's pid limit: never alive
            write(at("bluegreen", "dev"), "alive.json", process.pid);
            write(at("bluegreen", "dev"), "elsewhere.json", 2 ** 22 + 1, "another-host");
            write(at("bluegreen", "prod"), "dead-prod.json", 2 ** 22 + 2);
            write(at("shop", "dev"), "dead-shop.json", 2 ** 22 + 3); // another project's stack of the same name
            const locks = await stackLocks(`file://${backend}`, "bluegreen", "organization/bluegreen/dev");
            assert.deepStrictEqual(locks.map((l) => path.basename(l.where)).sort(), [
                "alive.json",
                "dead.json",
                "elsewhere.json",
            ]);
            const stale = locks.filter(isStale);
            assert.deepStrictEqual(
                stale.map((l) => l.where),
                [path.join(at("bluegreen", "dev"), "dead.json")],
            );
            assert.strictEqual(
                describeLock(stale[0]),
                `pid ${2 ** 22 + 12345} of ci on ${os.hostname()} since 2026-12-07T22:59:01Z`,
            );
            await stale[0].remove();
            assert.ok(!fs.existsSync(stale[0].where), "a stale lock is removed");
            assert.deepStrictEqual(await stackLocks("https://api.pulumi.com", "bluegreen", "dev"), []);
        } finally {
            fs.rmSync(backend, { recursive: true, force: true });
        }
    });

    it("names who holds the stack's lock, and what to do, for the program in the working directory", async () => {
        const project = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-lockholder-"));
        const [cwd, backend] = [process.cwd(), process.env.PULUMI_BACKEND_URL];
        try {
            fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: bluegreen\nruntime: nodejs\n");
            const dir = path.join(project, "state", ".pulumi", "locks", "organization", "bluegreen", "dev");
            fs.mkdirSync(dir, { recursive: true });
            process.chdir(project);
            process.env.PULUMI_BACKEND_URL = `file://${path.join(project, "state")}`;
            assert.strictEqual(await lockHolder("dev"), undefined);
            assert.strictEqual(await lockedMessage("dev"), undefined);
            const lock = (pid: number) =>
                fs.writeFileSync(
                    path.join(dir, "a.json"),
                    JSON.stringify({ pid, hostname: os.hostname(), username: "ci", timestamp: "2026-12-07T23:00:00Z" }),
                );
            lock(process.pid);
            const who = `pid ${process.pid} of ci on ${os.hostname()} since 2026-12-07T23:00:00Z`;
            assert.strictEqual(await lockHolder("dev"), who);
            assert.strictEqual(
                await lockedMessage("dev"),
                `the stack dev is locked by another pulumi update (${who}; ${path.join(dir, "a.json")}); ` +
                    "nothing changed: wait for it to end, then npm run status",
            );
            lock(2 ** 22 + 7);
            assert.match((await lockHolder("dev"))!, /which is gone: npm run recover clears it$/);
            assert.match(
                (await lockedMessage("dev"))!,
                /nothing changed: that process is gone: npm run recover removes its lock$/,
            );
            assert.strictEqual(await lockHolder("prod"), undefined);
        } finally {
            process.chdir(cwd);
            if (backend === undefined) delete process.env.PULUMI_BACKEND_URL;
            else process.env.PULUMI_BACKEND_URL = backend;
            fs.rmSync(project, { recursive: true, force: true });
        }
    });

    it("counts a killed process nobody reaped (a zombie) as gone", async () => {
        // sh starts a short sleep, then becomes a long one that never reaps it.
        const parent = childProcess.spawn("sh", ["-c", "sleep 0.1 & echo $!; exec sleep 5"]);
        try {
            const pid = Number(
                await new Promise<string>((resolve) => parent.stdout.once("data", (d) => resolve(String(d)))),
            );
            assert.ok(processAlive(pid), "running");
            await new Promise((resolve) => setTimeout(resolve, 500));
            assert.match(fs.readFileSync(`/proc/${pid}/stat`, "utf8"), /\) Z /, "a zombie now");
            assert.ok(!processAlive(pid), "a zombie is gone");
            assert.ok(processAlive(parent.pid!));
        } finally {
            parent.kill("SIGKILL");
        }
    });

    it("removes the metadata sidecars a killed pulumi left empty in a file backend, and only those", () => {
        const backend = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-sidecars-"));
        try {
            const stacks = path.join(backend, ".pulumi", "stacks", "bluegreen");
            fs.mkdirSync(stacks, { recursive: true });
            const file = (name: string, text: string) => {
                fs.writeFileSync(path.join(stacks, name), text);
                return path.join(stacks, name);
            };
            file("dev.json", "{}");
            const good = file("dev.json.attrs", '{"user.cache_control":"","user.content_type":"application/json"}\n');
            const empty = file("prod.json.attrs", "");
            const cut = file("ci.json.attrs", '{"user.cache_con');
            assert.deepStrictEqual(removeBrokenSidecars(`file://${backend}`).sort(), [cut, empty].sort());
            assert.ok(fs.existsSync(good) && !fs.existsSync(empty) && !fs.existsSync(cut));
            assert.deepStrictEqual(removeBrokenSidecars(`file://${backend}`), [], "nothing left to remove");
            assert.deepStrictEqual(removeBrokenSidecars("s3://bucket"), []);
        } finally {
            fs.rmSync(backend, { recursive: true, force: true });
        }
    });

    it("matches lock keys by project and stack, in every backend's layout", () => {
        assert.ok(isLockOf(".pulumi/locks/organization/bluegreen/dev/1f.json", "bluegreen", "dev"));
        assert.ok(isLockOf("team/.pulumi/locks/organization/bluegreen/dev/1f.json", "bluegreen", "dev"));
        assert.ok(isLockOf(".pulumi/locks/dev/1f.json", "bluegreen", "dev"), "a backend without projects");
        assert.ok(!isLockOf(".pulumi/locks/organization/shop/dev/1f.json", "bluegreen", "dev"));
        assert.ok(!isLockOf(".pulumi/locks/organization/bluegreen/dev-2/1f.json", "bluegreen", "dev"));
        assert.ok(!isLockOf(".pulumi/stacks/organization/bluegreen/dev.json", "bluegreen", "dev"));
    });

    it("reads where a postgres:// or s3:// backend keeps its state from the URL the CLI takes", () => {
        assert.deepStrictEqual(postgresTarget("postgres://u:p@127.0.0.1:5432/state?table=team_state&sslmode=disable"), {
            table: "team_state",
            psqlUrl: "postgres://u:p@127.0.0.1:5432/state?sslmode=disable",
        });
        assert.strictEqual(postgresTarget("postgres://127.0.0.1/state").table, "pulumi_state");
        assert.throws(
            () => postgresTarget("postgres://h/db?table=x;drop"),
            /^Error: PULUMI_BACKEND_URL: table=x;drop is not a plain SQL name/,
        );
        assert.deepStrictEqual(
            s3Location(
                "s3://state/team-a?endpoint=127.0.0.1:9000&s3ForcePathStyle=true&disableSSL=true&region=eu-west-1",
            ),
            { bucket: "state", prefix: "team-a/", endpoint: "http://127.0.0.1:9000", region: "eu-west-1" },
        );
        assert.strictEqual(s3Location("s3://state?endpoint=http://127.0.0.1:9000").prefix, "");
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
            const found = await orphanedPlugins();
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
        // A killed pulumi leaves its language host running too.
        assert.strictEqual(
            providerEngineAddress(["/usr/bin/pulumi-language-nodejs", "127.0.0.1:4002"]),
            "127.0.0.1:4002",
        );
        assert.strictEqual(providerEngineAddress(["node", "server.js", "127.0.0.1:4003"]), undefined);
    });
});
