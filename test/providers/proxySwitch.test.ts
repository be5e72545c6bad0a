// The proxy switch and the container/network providers against a real Docker engine and nginx.
import * as assert from "assert";
import { renderProxyConfig, VERSION_PATH } from "../../components/nginx";
import { containerProvider, ContainerInputs } from "../../components/providers/container";
import { docker, dockerOk } from "../../components/providers/docker";
import { networkProvider } from "../../components/providers/network";
import { probe } from "../../components/providers/probe";
import {
    applySwitch,
    BREAK_CONFIG_ENV,
    ProxySwitchInputs,
    RELOAD_VIA_EXEC_ENV,
} from "../../components/providers/proxySwitch";
import { NGINX_CONF_PATH, renderPlaceholderConfig } from "../../components/nginx";
import { MANAGED_LABEL } from "../../components/names";

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
});
