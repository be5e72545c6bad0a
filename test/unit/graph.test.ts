// The resource graph under Pulumi mocks: names, images, ports, the dependency chain, outputs.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseSettings, Settings } from "../../components/config";
import { renderProxyConfig } from "../../components/nginx";

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

const registered: Registered[] = [];

pulumi.runtime.setMocks(
    {
        newResource(args) {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs });
            // Dynamic resources report their ids; echo the inputs as outputs like the providers do.
            return { id: `${args.name}-id`, state: { ...args.inputs, containerId: `${args.name}-cid` } };
        },
        call() {
            return {};
        },
    },
    "bluegreen",
    "unit",
    false,
);

// Imported after setMocks so every resource registers against the mocks.
import { BlueGreenService } from "../../components/service";
import { containerProvider } from "../../components/providers/container";
import { healthCheckProvider } from "../../components/providers/healthCheck";
import { networkProvider } from "../../components/providers/network";
import { proxySwitchProvider } from "../../components/providers/proxySwitch";
import { releaseGuardProvider } from "../../components/providers/releaseGuard";
import { smokeTestProvider } from "../../components/providers/smokeTest";
import { providerCodeHash, serializedProvider } from "../../components/providers/dynamicResource";

const PROVIDERS: Record<string, pulumi.dynamic.ResourceProvider> = {
    container: containerProvider,
    network: networkProvider,
    healthCheck: healthCheckProvider,
    proxySwitch: proxySwitchProvider,
    releaseGuard: releaseGuardProvider,
    smokeTest: smokeTestProvider,
};
/** A resource of each provider, by name. */
const OURS: Record<string, string> = {
    "bluegreen-blue-container": "container",
    "bluegreen-network": "network",
    "bluegreen-green-health": "healthCheck",
    "bluegreen-switch": "proxySwitch",
    "bluegreen-guard": "releaseGuard",
    "bluegreen-smoke-test": "smokeTest",
};

/** The `__provider` text the SDK's own `pulumi.dynamic.Resource` registers for a provider. */
async function sdkProviderText(key: string): Promise<unknown> {
    class SdkResource extends pulumi.dynamic.Resource {}
    const name = `sdk-${key}-${registered.length}`;
    const sdk = new SdkResource(PROVIDERS[key], name, {});
    await output(sdk.urn);
    const text = registered.find((r) => r.name === name)?.inputs.__provider;
    assert.ok(typeof text === "string" && text.length > 1000, `${key}: the SDK serialized it`);
    return text;
}

function output<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply(resolve));
}

function settings(overrides: Record<string, string> = {}): Settings {
    const values: Record<string, string> = {
        liveColor: "green",
        blueImage: "bluegreen-sample:1",
        greenImage: "bluegreen-sample:2",
        ...overrides,
    };
    return parseSettings((k) => values[k]);
}

async function build(overrides: Record<string, string> = {}) {
    registered.length = 0;
    const service = new BlueGreenService("bluegreen", { stack: "unit", settings: settings(overrides) });
    await output(service.proxyConfigVersion);
    const byName = (name: string) => {
        const found = registered.find((r) => r.name === name);
        assert.ok(found, `no resource named ${name}; have ${registered.map((r) => r.name).join(", ")}`);
        return found;
    };
    return { service, byName };
}

describe("resource graph (mocks)", () => {
    it("creates exactly the expected children, named from the component", async () => {
        await build();
        assert.deepStrictEqual(registered.map((r) => `${r.type} ${r.name}`).sort(), [
            "bluegreen:index:BlueGreenService bluegreen",
            "bluegreen:index:ColorSlot bluegreen-blue",
            "bluegreen:index:ColorSlot bluegreen-green",
            "bluegreen:index:Proxy bluegreen-proxy",
            "pulumi-nodejs:dynamic:Resource bluegreen-blue-container",
            "pulumi-nodejs:dynamic:Resource bluegreen-blue-health",
            "pulumi-nodejs:dynamic:Resource bluegreen-green-container",
            "pulumi-nodejs:dynamic:Resource bluegreen-green-health",
            "pulumi-nodejs:dynamic:Resource bluegreen-guard",
            "pulumi-nodejs:dynamic:Resource bluegreen-network",
            "pulumi-nodejs:dynamic:Resource bluegreen-proxy-container",
            "pulumi-nodejs:dynamic:Resource bluegreen-switch",
        ]);
    });

    it("runs each colour's image in a container named after the stack, on loopback ports only", async () => {
        const { byName } = await build();
        const blue = byName("bluegreen-blue-container").inputs;
        const green = byName("bluegreen-green-container").inputs;
        assert.strictEqual(blue.name, "unit-blue");
        assert.strictEqual(blue.image, "bluegreen-sample:1");
        assert.strictEqual(green.name, "unit-green");
        assert.strictEqual(green.image, "bluegreen-sample:2");
        assert.deepStrictEqual(blue.ports, [{ hostIp: "127.0.0.1", hostPort: 8081, containerPort: 8080 }]);
        assert.deepStrictEqual(green.ports, [{ hostIp: "127.0.0.1", hostPort: 8082, containerPort: 8080 }]);
        assert.strictEqual(blue.network, "unit-net");
        assert.strictEqual(byName("bluegreen-network").inputs.name, "unit-net");
    });

    it("publishes only the proxy on the public port, seeded with the placeholder config", async () => {
        const { byName } = await build();
        const proxy = byName("bluegreen-proxy-container").inputs;
        assert.strictEqual(proxy.name, "unit-proxy");
        assert.deepStrictEqual(proxy.ports, [{ hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80 }]);
        const seeds = proxy.seedFiles as { path: string; content: string }[];
        assert.strictEqual(seeds.length, 1);
        assert.match(seeds[0].content, /return 503/);
    });

    it("gates each colour on its own health check, re-run when it becomes live", async () => {
        const { byName } = await build();
        const green = byName("bluegreen-green-health").inputs;
        assert.strictEqual(green.url, "http://127.0.0.1:8082/health");
        assert.strictEqual(green.containerId, "bluegreen-green-container-cid");
        assert.strictEqual(green.live, true);
        assert.strictEqual(byName("bluegreen-blue-health").inputs.live, false);
        assert.deepStrictEqual([green.timeoutSeconds, green.intervalMs, green.threshold], [60, 100, 3]);
    });

    it("switches the proxy to the live colour after its health check", async () => {
        const { service, byName } = await build();
        const sw = byName("bluegreen-switch").inputs;
        assert.strictEqual(sw.color, "green");
        assert.strictEqual(sw.host, "unit-green");
        assert.strictEqual(sw.port, 8080);
        assert.strictEqual(sw.proxyContainer, "unit-proxy");
        assert.strictEqual(sw.proxyContainerId, "bluegreen-proxy-container-cid");
        assert.strictEqual(
            sw.configVersion,
            renderProxyConfig({ color: "green", host: "unit-green", port: 8080 }).version,
        );
        assert.deepStrictEqual(service.switchGates, [service.slots.green.healthCheck]);
    });

    it("puts the smoke test between the health check and the switch when configured", async () => {
        const { service, byName } = await build({ smokeTest: "curl -fsS $TARGET_URL" });
        const smoke = byName("bluegreen-smoke-test").inputs;
        assert.strictEqual(smoke.targetUrl, "http://127.0.0.1:8082");
        assert.strictEqual(smoke.color, "green");
        assert.strictEqual(service.switchGates.length, 2);
        assert.strictEqual(service.switchGates[0], service.slots.green.healthCheck);
    });

    it("guards the release with the configured state", async () => {
        const { byName } = await build();
        const guard = byName("bluegreen-guard").inputs;
        assert.deepStrictEqual(
            { liveColor: guard.liveColor, blueImage: guard.blueImage, greenImage: guard.greenImage },
            { liveColor: "green", blueImage: "bluegreen-sample:1", greenImage: "bluegreen-sample:2" },
        );
    });

    it("exports live and standby colour, images and URLs", async () => {
        const { service } = await build();
        assert.strictEqual(await output(service.liveColor), "green");
        assert.strictEqual(await output(service.liveImage), "bluegreen-sample:2");
        assert.strictEqual(await output(service.standbyColor), "blue");
        assert.strictEqual(await output(service.standbyImage), "bluegreen-sample:1");
        assert.deepStrictEqual(
            [service.url, service.blueUrl, service.greenUrl],
            ["http://127.0.0.1:8080", "http://127.0.0.1:8081", "http://127.0.0.1:8082"],
        );
    });

    it("gives every dynamic resource the provider text pulumi.dynamic.Resource would", async () => {
        const { byName } = await build({ smokeTest: "true" });
        const texts = Object.fromEntries(Object.keys(OURS).map((name) => [name, byName(name).inputs.__provider]));
        for (const [name, key] of Object.entries(OURS)) {
            assert.strictEqual(texts[name], await sdkProviderText(key), `${key}: same text as the SDK's`);
        }
    });

    it("keeps each serialized provider in a cache keyed by the compiled code, and reads it back", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-provider-cache-"));
        try {
            for (const [key, provider] of Object.entries(PROVIDERS)) {
                const text = await serializedProvider(key, provider, dir);
                assert.strictEqual(text, await sdkProviderText(key), `${key}: cached what the SDK serializes`);
                const file = path.join(dir, `${key}-${providerCodeHash()}.js`);
                assert.strictEqual(fs.readFileSync(file, "utf8"), text, `${key}: written to ${file}`);
            }
            // A second run of the program reads the files instead of serializing again.
            const file = path.join(dir, `network-${providerCodeHash()}.js`);
            fs.writeFileSync(file, "exports.handler = undefined; // marker\n");
            const other = fs.mkdtempSync(path.join(dir, "again-"));
            fs.copyFileSync(file, path.join(other, path.basename(file)));
            assert.strictEqual(
                await serializedProvider("network", networkProvider, other),
                fs.readFileSync(file, "utf8"),
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("changes the cache key when the compiled code changes", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-provider-hash-"));
        try {
            fs.writeFileSync(path.join(dir, "a.js"), "exports.a = 1;\n");
            const before = providerCodeHash(dir);
            assert.strictEqual(providerCodeHash(dir), before, "stable");
            fs.writeFileSync(path.join(dir, "a.js"), "exports.a = 2;\n");
            assert.notStrictEqual(providerCodeHash(dir), before);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
