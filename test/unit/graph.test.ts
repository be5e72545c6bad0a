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
            const state = {
                ...args.inputs,
                containerId: `${args.name}-cid`,
                imageId: `sha256:${args.name}`,
                repoDigest: "",
            };
            return { id: `${args.name}-id`, state };
        },
        call() {
            return {};
        },
    },
    "bluegreen",
    "unit",
    false,
);

/** Resource options as the engine receives them (the mocks' arguments do not carry them). */
const OPTIONS: { type: string; name: string; deleteBeforeReplace: boolean; ignoreChanges: string[] }[] = [];
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getDeletebeforereplace(): boolean;
    getIgnorechangesList(): string[];
}
const monitor = (
    require("@pulumi/pulumi/runtime/settings") as {
        getMonitor(): { registerResource(req: RegisterRequest, callback: unknown): unknown };
    }
).getMonitor();
const registerResource = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, callback) => {
    OPTIONS.push({
        type: req.getType(),
        name: req.getName(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        ignoreChanges: req.getIgnorechangesList(),
    });
    return registerResource(req, callback);
};

// Imported after setMocks so every resource registers against the mocks.
import { BlueGreenService } from "../../components/service";
import { Engine } from "../../components/engine";
import { dockerCliEngine } from "../../components/engines/dockerCli";
import { dockerProviderEngine } from "../../components/engines/dockerProvider";
import { containerProvider } from "../../components/providers/container";
import { healthCheckProvider } from "../../components/providers/healthCheck";
import { networkProvider } from "../../components/providers/network";
import { proxySwitchProvider } from "../../components/providers/proxySwitch";
import { releaseGuardProvider } from "../../components/providers/releaseGuard";
import { smokeTestProvider } from "../../components/providers/smokeTest";
import { imageProvider } from "../../components/providers/image";
import { providerCodeHash, serializedProvider } from "../../components/providers/dynamicResource";

const PROVIDERS: Record<string, pulumi.dynamic.ResourceProvider> = {
    container: containerProvider,
    network: networkProvider,
    healthCheck: healthCheckProvider,
    proxySwitch: proxySwitchProvider,
    releaseGuard: releaseGuardProvider,
    smokeTest: smokeTestProvider,
    image: imageProvider,
};
/** A resource of each provider, by name. */
const OURS: Record<string, string> = {
    "bluegreen-blue-container": "container",
    "bluegreen-network": "network",
    "bluegreen-green-health": "healthCheck",
    "bluegreen-switch": "proxySwitch",
    "bluegreen-guard": "releaseGuard",
    "bluegreen-smoke-test": "smokeTest",
    "bluegreen-proxy-image": "image",
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

async function build(overrides: Record<string, string> = {}, engine: Engine = dockerCliEngine()) {
    registered.length = 0;
    OPTIONS.length = 0;
    const service = new BlueGreenService("bluegreen", { stack: "unit", settings: settings(overrides), engine });
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
            "pulumi-nodejs:dynamic:Resource bluegreen-blue-image",
            "pulumi-nodejs:dynamic:Resource bluegreen-green-container",
            "pulumi-nodejs:dynamic:Resource bluegreen-green-health",
            "pulumi-nodejs:dynamic:Resource bluegreen-green-image",
            "pulumi-nodejs:dynamic:Resource bluegreen-guard",
            "pulumi-nodejs:dynamic:Resource bluegreen-network",
            "pulumi-nodejs:dynamic:Resource bluegreen-proxy-container",
            "pulumi-nodejs:dynamic:Resource bluegreen-proxy-image",
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
        assert.strictEqual(green.imageId, "sha256:bluegreen-green-image", "runs the image its image resource resolved");
        assert.strictEqual(green.restart, "unless-stopped");
        assert.deepStrictEqual(green.seedFiles, []);
        assert.strictEqual(byName("bluegreen-green-image").inputs.ref, "bluegreen-sample:2");
        assert.strictEqual(byName("bluegreen-proxy-image").inputs.ref, "nginx:1.28.0");
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

describe("resource graph on the docker-provider engine (mocks)", () => {
    const provider = () => build({}, dockerProviderEngine());
    const inputsOf = async (name: string) => (await provider()).byName(name).inputs;

    it("creates @pulumi/docker and @pulumi/command resources from the same specs", async () => {
        await build({ smokeTest: "curl -fsS $TARGET_URL" }, dockerProviderEngine());
        assert.deepStrictEqual(registered.map((r) => `${r.type} ${r.name}`).sort(), [
            "bluegreen:index:BlueGreenService bluegreen",
            "bluegreen:index:ColorSlot bluegreen-blue",
            "bluegreen:index:ColorSlot bluegreen-green",
            "bluegreen:index:Proxy bluegreen-proxy",
            "command:local:Command bluegreen-smoke-test",
            "docker:index/container:Container bluegreen-blue-container",
            "docker:index/container:Container bluegreen-green-container",
            "docker:index/container:Container bluegreen-proxy-container",
            "docker:index/network:Network bluegreen-network",
            "docker:index/remoteImage:RemoteImage bluegreen-blue-image",
            "docker:index/remoteImage:RemoteImage bluegreen-green-image",
            "docker:index/remoteImage:RemoteImage bluegreen-proxy-image",
            "pulumi-nodejs:dynamic:Resource bluegreen-blue-health",
            "pulumi-nodejs:dynamic:Resource bluegreen-green-health",
            "pulumi-nodejs:dynamic:Resource bluegreen-guard",
            "pulumi-nodejs:dynamic:Resource bluegreen-switch",
        ]);
    });

    it("pulls each image and keeps it, then runs the container from the pulled image's ID", async () => {
        const { byName } = await provider();
        assert.deepStrictEqual(byName("bluegreen-green-image").inputs, {
            name: "bluegreen-sample:2",
            keepLocally: true,
        });
        assert.deepStrictEqual(byName("bluegreen-proxy-image").inputs, { name: "nginx:1.28.0", keepLocally: true });
        assert.strictEqual(byName("bluegreen-green-container").inputs.image, "sha256:bluegreen-green-image");
        assert.strictEqual(byName("bluegreen-proxy-container").inputs.image, "sha256:bluegreen-proxy-image");
    });

    it("names containers after the stack, publishes colours on loopback only, restarts unless stopped", async () => {
        const green = await inputsOf("bluegreen-green-container");
        assert.strictEqual(green.name, "unit-green");
        assert.deepStrictEqual(green.ports, [{ internal: 8080, external: 8082, ip: "127.0.0.1" }]);
        assert.deepStrictEqual(green.networksAdvanced, [{ name: "unit-net" }]);
        assert.strictEqual(green.restart, "unless-stopped");
        assert.deepStrictEqual(green.labels, [
            { label: "io.bluegreen.managed", value: "unit" },
            { label: "io.bluegreen.color", value: "green" },
            { label: "io.bluegreen.engine", value: "docker-provider" },
        ]);
        assert.strictEqual(green.uploads === undefined || (green.uploads as unknown[]).length === 0, true);
        const network = await inputsOf("bluegreen-network");
        assert.deepStrictEqual(network, {
            name: "unit-net",
            labels: [{ label: "io.bluegreen.managed", value: "unit" }],
        });
    });

    it("starts the proxy on the placeholder config through an upload, on the public port", async () => {
        const proxy = await inputsOf("bluegreen-proxy-container");
        assert.strictEqual(proxy.name, "unit-proxy");
        assert.deepStrictEqual(proxy.ports, [{ internal: 80, external: 8080, ip: "0.0.0.0" }]);
        const uploads = proxy.uploads as { file: string; content: string }[];
        assert.strictEqual(uploads.length, 1);
        assert.strictEqual(uploads[0].file, "/etc/nginx/nginx.conf");
        assert.match(uploads[0].content, /return 503/);
    });

    it("replaces containers old-first, and never recreates the proxy for a new placeholder text", async () => {
        await provider();
        const containers = OPTIONS.filter((o) => o.type === "docker:index/container:Container");
        assert.deepStrictEqual(containers.map((o) => o.name).sort(), [
            "bluegreen-blue-container",
            "bluegreen-green-container",
            "bluegreen-proxy-container",
        ]);
        for (const o of containers) {
            assert.strictEqual(o.deleteBeforeReplace, true, o.name);
            assert.deepStrictEqual(o.ignoreChanges, ["uploads"], o.name);
        }
    });

    it("orders each colour: image -> container -> health check -> (smoke test) -> switch", async () => {
        const { service, byName } = await build({ smokeTest: "true" }, dockerProviderEngine());
        const health = byName("bluegreen-green-health").inputs;
        assert.strictEqual(health.containerId, "bluegreen-green-container-id", "the gate waits for the container");
        const smoke = byName("bluegreen-smoke-test").inputs;
        assert.deepStrictEqual(smoke.environment, { TARGET_URL: "http://127.0.0.1:8082", TARGET_COLOR: "green" });
        assert.strictEqual(smoke.create, "true");
        assert.deepStrictEqual(smoke.triggers, ["bluegreen-green-container-id", "true", "http://127.0.0.1:8082"]);
        assert.strictEqual(service.switchGates.length, 2);
        assert.strictEqual(service.switchGates[0], service.slots.green.healthCheck);
        assert.strictEqual(byName("bluegreen-switch").inputs.proxyContainerId, "bluegreen-proxy-container-id");
        assert.strictEqual(service.engine, "docker-provider");
    });
});
