// The proxy switch and the container/network providers against a real Docker engine and nginx.
import * as assert from "assert";
import * as fs from "fs";
import { renderProxyConfig, VERSION_PATH } from "../../components/core/nginx";
import { containerProvider, ContainerInputs } from "../../components/providers/container";
import { docker, dockerOk } from "../../components/runtime/docker";
import { networkProvider } from "../../components/providers/network";
import { probe } from "../../components/runtime/probe";
import { applySwitch, BREAK_CONFIG_ENV, ProxySwitchInputs } from "../../components/providers/proxySwitch";
import { RELOAD_VIA_EXEC_ENV } from "../../components/runtime/proxyShell";
import { workersOf } from "../../components/runtime/retireWorkers";
import { NGINX_CONF_PATH, renderPlaceholderConfig } from "../../components/core/nginx";
import { MANAGED_LABEL } from "../../components/core/names";

const prefix = `bgtest${process.pid}`;
const network = `${prefix}-net`;
const publicPort = 18380 + (process.pid % 100);
const publicUrl = `http://127.0.0.1:${publicPort}`;
const labels = { [MANAGED_LABEL]: prefix };

function containerInputs(role: string, image: string, ports: ContainerInputs["ports"], seed = false): ContainerInputs {
    return {
        name: `${prefix}-${role}`,
        image,
        network,
        ports,
        labels,
        seedFiles: seed ? [{ path: NGINX_CONF_PATH, content: renderPlaceholderConfig().text }] : [],
    };
}

function switchInputs(color: "blue" | "green", proxyContainerId: string): ProxySwitchInputs {
    const target = { color, host: `${prefix}-${color}`, port: 8080 };
    return {
        proxyContainer: `${prefix}-proxy`,
        proxyContainerId,
        ...target,
        configVersion: renderProxyConfig(target).version,
        publicUrl,
    };
}

describe("proxy switch (real nginx in Docker)", function () {
    this.timeout(60000);
    const ids: string[] = [];
    let proxyId = "";

    before(async () => {
        await networkProvider.create!({ name: network, labels });
        for (const [color, image, port] of [
            ["blue", "bluegreen-sample:1", publicPort + 1],
            ["green", "bluegreen-sample:2", publicPort + 2],
        ] as const) {
            const created = await containerProvider.create!(
                containerInputs(color, image, [{ hostIp: "127.0.0.1", hostPort: port, containerPort: 8080 }]),
            );
            ids.push(created.id);
        }
        const proxy = await containerProvider.create!(
            containerInputs(
                "proxy",
                "bluegreen-nginx:local",
                [{ hostIp: "127.0.0.1", hostPort: publicPort, containerPort: 80 }],
                true,
            ),
        );
        proxyId = proxy.id;
        ids.push(proxyId);
    });

    after(async () => {
        delete process.env[BREAK_CONFIG_ENV];
        for (const id of ids) {
            await containerProvider.delete!(id, {});
        }
        await networkProvider.delete!(network, {});
    });

    it("publishes colour ports on loopback only", async () => {
        const bindings = await dockerOk(["inspect", "--format", "{{json .HostConfig.PortBindings}}", `${prefix}-blue`]);
        assert.deepStrictEqual(JSON.parse(bindings), {
            "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(publicPort + 1) }],
        });
    });

    it("starts the proxy on the placeholder (503, no colour)", async () => {
        const answer = await probe(`${publicUrl}/`, 2000);
        assert.strictEqual(answer.status, 503);
        const version = await probe(publicUrl + VERSION_PATH, 2000);
        assert.match(version.body, /^[0-9a-f]{12} none\n$/);
    });

    it("switches to blue, then to green, confirming each version on a fresh connection", async () => {
        const blue = await applySwitch(switchInputs("blue", proxyId));
        let answer = await probe(`${publicUrl}/`, 2000);
        assert.match(answer.body, /^version=1 /);
        assert.strictEqual(answer.headers["x-color"], "blue");
        assert.strictEqual((await probe(publicUrl + VERSION_PATH, 2000)).body, `${blue.configVersion} blue\n`);

        const green = await applySwitch(switchInputs("green", proxyId));
        for (let i = 0; i < 10; i++) {
            answer = await probe(`${publicUrl}/`, 2000);
            assert.match(answer.body, /^version=2 /, `request ${i} after the switch`);
            assert.strictEqual(answer.headers["x-color"], "green");
        }
        assert.ok(green.switchMs > 0 && green.switchMs < 5000, `switch took ${green.switchMs} ms`);
        // The proxy container was reconfigured, not recreated.
        assert.strictEqual(await dockerOk(["inspect", "--format", "{{.Id}}", `${prefix}-proxy`]), proxyId);
    });

    it("reloads through docker exec when the engine is not local, with the same result", async () => {
        process.env[RELOAD_VIA_EXEC_ENV] = "1";
        try {
            const blue = await applySwitch(switchInputs("blue", proxyId));
            assert.strictEqual(blue.reloadVia, "exec");
            assert.strictEqual(blue.prepareVia, "exec");
            assert.strictEqual((await probe(`${publicUrl}/`, 2000)).headers["x-color"], "blue");
        } finally {
            delete process.env[RELOAD_VIA_EXEC_ENV];
        }
        const green = await applySwitch(switchInputs("green", proxyId));
        assert.strictEqual(green.reloadVia, "signal", "the local engine's nginx master gets the signal directly");
        assert.strictEqual(green.prepareVia, "nsenter", "and the config is installed in its namespaces");
        assert.strictEqual((await probe(`${publicUrl}/`, 2000)).headers["x-color"], "green");
    });

    it("tells nginx's old workers to stop as soon as new ones run: no fresh connection reaches the old config", async () => {
        const master = Number(await dockerOk(["inspect", "--format", "{{.State.Pid}}", `${prefix}-proxy`]));
        const before = workersOf(master);
        assert.ok(before.length > 0, "the master's workers are readable here");
        const blue = await applySwitch(switchInputs("blue", proxyId));
        assert.strictEqual(blue.oldWorkersRetired, true);
        const title = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
        for (const pid of before) {
            // Gone, exited (a zombie until the master reaps it: no command line), or shutting down.
            const now = fs.existsSync(`/proc/${pid}`) ? title(pid) : "";
            assert.match(now, /^(|nginx: worker process is shutting down.*)$/, `old worker ${pid}`);
        }
        assert.strictEqual(workersOf(master).filter((p) => !before.includes(p)).length, before.length, "as many new");
        for (let i = 0; i < 20; i++) {
            assert.strictEqual((await probe(`${publicUrl}/`, 2000)).headers["x-color"], "blue", `request ${i}`);
        }
        process.env[RELOAD_VIA_EXEC_ENV] = "1";
        try {
            const green = await applySwitch(switchInputs("green", proxyId));
            assert.strictEqual(green.oldWorkersRetired, false, "through docker exec, nginx's own timing");
        } finally {
            delete process.env[RELOAD_VIA_EXEC_ENV];
        }
    });

    it("keeps the previous config serving when nginx rejects the new one, quoting nginx", async () => {
        const before = await dockerOk(["exec", `${prefix}-proxy`, "cat", NGINX_CONF_PATH]);
        process.env[BREAK_CONFIG_ENV] = "1";
        try {
            await assert.rejects(applySwitch(switchInputs("blue", proxyId)), (err: Error) => {
                assert.match(
                    err.message,
                    /^proxy switch to blue failed: nginx rejected the config: \[emerg\] unknown directive "this_is_not_a_directive" in \/etc\/nginx\/nginx.conf.next:\d+; previous config still serving$/,
                );
                return true;
            });
        } finally {
            delete process.env[BREAK_CONFIG_ENV];
        }
        assert.strictEqual(await dockerOk(["exec", `${prefix}-proxy`, "cat", NGINX_CONF_PATH]), before);
        const answer = await probe(`${publicUrl}/`, 2000);
        assert.strictEqual(answer.headers["x-color"], "green");
    });

    it("refuses a target nginx cannot resolve, and green keeps serving", async () => {
        const target = { color: "blue" as const, host: `${prefix}-missing`, port: 8080 };
        const inputs = {
            ...switchInputs("blue", proxyId),
            ...target,
            configVersion: renderProxyConfig(target).version,
        };
        await assert.rejects(applySwitch(inputs), /nginx rejected the config: .*host not found in upstream/);
        assert.strictEqual((await probe(`${publicUrl}/`, 2000)).headers["x-color"], "green");
    });

    it("restores the previous config when the reload cannot be confirmed", async () => {
        // Confirm through a port where no proxy listens: the reload happens but is never seen.
        const inputs = { ...switchInputs("blue", proxyId), publicUrl: "http://127.0.0.1:1", confirmTimeoutMs: 500 };
        await assert.rejects(
            applySwitch(inputs),
            /nginx did not serve config [0-9a-f]{12} at http:\/\/127\.0\.0\.1:1\/__bluegreen\/version within 500 ms .*previous config restored$/,
        );
        const answer = await probe(`${publicUrl}/`, 2000);
        assert.strictEqual(answer.headers["x-color"], "green");
    });

    it("refuses to take over a container it does not manage", async () => {
        await docker(["rm", "-f", `${prefix}-stranger`]);
        await dockerOk(["create", "--name", `${prefix}-stranger`, "bluegreen-sample:1"]);
        try {
            await assert.rejects(
                containerProvider.create!({ ...containerInputs("stranger", "bluegreen-sample:1", []) }),
                /container bgtest\d+-stranger already exists and is not managed by this stack/,
            );
        } finally {
            await docker(["rm", "-f", `${prefix}-stranger`]);
        }
    });

    it("names a missing image clearly", async () => {
        await assert.rejects(
            containerProvider.create!(containerInputs("ghost", "bluegreen-sample:does-not-exist", [])),
            /image bluegreen-sample:does-not-exist is not on the Docker engine/,
        );
    });

    describe("verification after a switch", () => {
        const images = { blue: "bluegreen-sample:1", green: "bluegreen-sample:2" };
        const verification = { seconds: 2, maxErrorRate: 0.01, minRequests: 10, images };
        const verified = (color: "blue" | "green", host?: string): ProxySwitchInputs => {
            const target = { color, host: host ?? `${prefix}-${color}`, port: 8080 };
            return {
                ...switchInputs(color, proxyId),
                ...target,
                configVersion: renderProxyConfig(target, undefined, { verify: true }).version,
                verification,
            };
        };
        /** Requests to the public port every 10 ms until `done` settles: statuses by colour. */
        async function underLoad<T>(done: Promise<T>): Promise<{ result: PromiseSettledResult<T>; seen: string[] }> {
            const seen: string[] = [];
            let settled = false;
            const result = done.then(
                (value) => ({ status: "fulfilled" as const, value }),
                (reason) => ({ status: "rejected" as const, reason }),
            );
            void result.then(() => (settled = true));
            for (let i = 0; i < 2000 && !settled; i++) {
                const answer = await probe(`${publicUrl}/`, 2000);
                seen.push(`${answer.headers["x-color"] ?? "none"} ${answer.status ?? answer.error}`);
                await new Promise((r) => setTimeout(r, 10));
            }
            return { result: await result, seen };
        }
        const marker = () => docker(["exec", `${prefix}-proxy`, "test", "-e", "/var/log/bluegreen/verifying"]);

        before(async () => {
            const bad = await containerProvider.create!({
                ...containerInputs("bad", "bluegreen-sample:failing", []),
                env: { FAIL_AFTER_SECONDS: "0" },
            });
            ids.push(bad.id);
        });

        it("watches the colour it switched to and passes a healthy one, logging nothing after", async () => {
            const blue = await applySwitch(verified("blue"));
            const { result, seen } = await underLoad(applySwitch(verified("green"), blue));
            assert.strictEqual(result.status, "fulfilled", String((result as PromiseRejectedResult).reason));
            const green = (result as PromiseFulfilledResult<Awaited<ReturnType<typeof applySwitch>>>).value;
            assert.strictEqual(
                green.verified?.outcome,
                "passed",
                `${green.verified?.summary} (clients saw ${seen.length})`,
            );
            assert.match(
                green.verified!.summary,
                /^green answered \d+ requests, 0 with 5xx \(0\.0% <= 1\.0%\), p99 \d+ ms, in 2 s$/,
            );
            assert.deepStrictEqual(
                seen.filter((s) => !/ 200$/.test(s)),
                [],
            );
            assert.notStrictEqual((await marker()).code, 0, "the marker is gone: nginx stops logging");
            const log = await dockerOk(["exec", `${prefix}-proxy`, "cat", "/var/log/bluegreen/answers.log"]);
            assert.strictEqual(log, "");
        });

        it("undoes a switch whose answers fail, in one line with the figures, and the previous colour serves", async () => {
            const green = await applySwitch(verified("green"));
            const started = Date.now();
            // A long window: the bad colour must be undone at the first polls, not when it ends.
            const bad5s = { ...verified("blue", `${prefix}-bad`), verification: { ...verification, seconds: 5 } };
            const { result, seen } = await underLoad(applySwitch(bad5s, green));
            assert.strictEqual(result.status, "rejected");
            const message = ((result as PromiseRejectedResult).reason as Error).message;
            assert.match(
                message,
                /^verification failed: blue answered (\d+) of \1 requests with 5xx \(100\.0% > 1\.0%\) in [0-2] s; traffic returned to green \(bluegreen-sample:2\)$/,
            );
            assert.ok(Date.now() - started < 4000, `decided in ${Date.now() - started} ms, before the window ended`);
            const answer = await probe(`${publicUrl}/`, 2000);
            assert.strictEqual(answer.headers["x-color"], "green");
            assert.strictEqual((await probe(publicUrl + VERSION_PATH, 2000)).body, `${green.configVersion} green\n`);
            // Clients saw the bad colour only until the rollback, and never a connection error.
            const bad = seen.filter((s) => s === "blue 500").length;
            assert.ok(bad > 0, `clients got ${bad} 5xx of ${seen.length}`); // for as long as the decision took
            assert.deepStrictEqual(
                seen.filter((s) => !/^(green 200|blue 500)$/.test(s)),
                [],
            );
            assert.notStrictEqual((await marker()).code, 0);
        });

        it("passes a window with too few answers, unjudged", async () => {
            const green = await applySwitch(verified("green"));
            const blue = await applySwitch(verified("blue"), green);
            assert.strictEqual(blue.verified?.outcome, "not judged");
            assert.match(
                blue.verified!.summary,
                /^blue answered 0 request\(s\) in 2 s, fewer than minRequests \(10\): not judged$/,
            );
        });
    });
});
