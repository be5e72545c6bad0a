// The resource graph under Pulumi mocks: names, images, ports, the dependency chain, outputs.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseSettings, Settings } from "../../components/config";
import { renderPlaceholderConfig, renderProxyConfig } from "../../components/nginx";

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
                serviceId: `${args.name}-sid`,
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
const OPTIONS: {
    type: string;
    name: string;
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    /** URNs the resource waits for: `dependsOn` and the resources its inputs come from. */
    dependencies: string[];
    /** The provider reference (`urn::id`), empty for the default provider. */
    provider: string;
}[] = [];
interface RegisterRequest {
    toObject(): Record<string, unknown>;
    getType(): string;
    getName(): string;
    getDeletebeforereplace(): boolean;
    getIgnorechangesList(): string[];
    getDependenciesList(): string[];
    getProvider(): string;
}
const monitor = (
    require("@pulumi/pulumi/runtime/settings") as {
        getMonitor(): { registerResource(req: RegisterRequest, callback: unknown): unknown };
    }
).getMonitor();
const registerResource = monitor.registerResource.bind(monitor);
/** Every registration request as the engine receives it, whole. */
const REQUESTS: RegisterRequest[] = [];
monitor.registerResource = (req, callback) => {
    REQUESTS.push(req);
    OPTIONS.push({
        type: req.getType(),
        name: req.getName(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        ignoreChanges: req.getIgnorechangesList(),
        dependencies: req.getDependenciesList(),
        provider: req.getProvider(),
    });
    return registerResource(req, callback);
};

// Imported after setMocks so every resource registers against the mocks.
import { BlueGreenService } from "../../components/service";
import { Engine, SwarmTarget } from "../../components/engine";
import { dockerCliEngine } from "../../components/engines/dockerCli";
import { dockerProviderEngine } from "../../components/engines/dockerProvider";
import { containerProvider } from "../../components/providers/container";
import { healthCheckProvider } from "../../components/providers/healthCheck";
import { networkProvider } from "../../components/providers/network";
import { proxySwitchProvider } from "../../components/providers/proxySwitch";
import { releaseGuardProvider } from "../../components/providers/releaseGuard";
import { smokeTestProvider } from "../../components/providers/smokeTest";
import { imageProvider } from "../../components/providers/image";
import { createArgs, SwarmServiceInputs, swarmServiceProvider } from "../../components/providers/swarmService";
import { swarmRouting } from "../../components/swarmProxy";
import { Site, siteOf } from "../../components/site";
import * as packaged from "../../components/engines/packageResources";

const REPO = path.resolve(__dirname, "../../..");
const PROVIDERS: Record<string, pulumi.dynamic.ResourceProvider> = {
    container: containerProvider,
    network: networkProvider,
    healthCheck: healthCheckProvider,
    proxySwitch: proxySwitchProvider,
    releaseGuard: releaseGuardProvider,
    smokeTest: smokeTestProvider,
    image: imageProvider,
    swarmService: swarmServiceProvider,
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

/** What the Node dynamic provider plugin does with a resource's `__provider` text, run in `cwd`. */
function loadProvider(text: unknown, cwd: string): unknown {
    assert.ok(typeof text === "string", "a provider text");
    const requireFromString = require("require-from-string") as (code: string) => { handler(): unknown };
    const before = process.cwd();
    process.chdir(cwd);
    try {
        return requireFromString(text).handler();
    } finally {
        process.chdir(before);
    }
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

async function build(
    overrides: Record<string, string> = {},
    engine: Engine = dockerCliEngine(),
    site: Site = siteOf(undefined),
) {
    registered.length = 0;
    OPTIONS.length = 0;
    const service = new BlueGreenService("bluegreen", { stack: "unit", settings: settings(overrides), engine, site });
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

    it("publishes only the proxy on the public and HTTPS ports, seeded with the placeholder config", async () => {
        const { byName } = await build();
        const proxy = byName("bluegreen-proxy-container").inputs;
        assert.strictEqual(proxy.name, "unit-proxy");
        // HTTPS is published before TLS is on, so turning it on later keeps the container.
        assert.deepStrictEqual(proxy.ports, [
            { hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80 },
            { hostIp: "0.0.0.0", hostPort: 8443, containerPort: 443 },
        ]);
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
        assert.deepStrictEqual([green.timeoutSeconds, green.intervalMs, green.threshold], [60, 50, 3]);
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

    it("names each dynamic resource's provider by its module, and that text loads exactly that provider", async () => {
        const { byName } = await build({ smokeTest: "true" });
        for (const [name, key] of Object.entries(OURS)) {
            const text = byName(name).inputs.__provider;
            assert.ok(typeof text === "string" && text.length < 1000, `${key}: a few lines, not a serialized closure`);
            // The engine starts the plugin in the program's directory (scripts/) or the checkout root.
            for (const cwd of [REPO, path.join(REPO, "scripts")]) {
                assert.strictEqual(loadProvider(text, cwd), PROVIDERS[key], `${key} from ${cwd}`);
            }
        }
    });

    it("keeps the provider text the same across builds, and says what to do when bin/ is missing", async () => {
        const { byName } = await build();
        const text = byName("bluegreen-switch").inputs.__provider as string;
        assert.doesNotMatch(text, new RegExp(REPO.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "no checkout path");
        const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-no-bin-"));
        try {
            assert.throws(
                () => loadProvider(text, elsewhere),
                /bluegreen: bin\/components\/providers\/proxySwitch\.js not found above .*; run npm run build/,
            );
        } finally {
            fs.rmSync(elsewhere, { recursive: true, force: true });
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
        assert.deepStrictEqual(proxy.ports, [
            { internal: 80, external: 8080, ip: "0.0.0.0" },
            { internal: 443, external: 8443, ip: "0.0.0.0" },
        ]);
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

describe("resource graph with a canary (canaryPercent)", () => {
    it("gates the switch on the idle colour's health check too, and routes the share to it", async () => {
        const { service, byName } = await build({ canaryPercent: "10" });
        assert.deepStrictEqual(service.switchGates, [service.slots.green.healthCheck, service.slots.blue.healthCheck]);
        assert.strictEqual(byName("bluegreen-blue-health").inputs.live, true, "the canary's gate must pass");
        assert.deepStrictEqual(byName("bluegreen-switch").inputs.canary, {
            percent: 10,
            color: "blue",
            host: "unit-blue",
        });
        assert.strictEqual(byName("bluegreen-guard").inputs.canaryPercent, 10);
        const none = await build();
        assert.strictEqual(none.byName("bluegreen-guard").inputs.canaryPercent, undefined, "no new input without one");
        assert.strictEqual(none.byName("bluegreen-blue-health").inputs.live, false);
    });
});

describe("resource graph with verification (verifySeconds)", () => {
    it("gives the switch the thresholds and both images, and renders the answers log into its config", async () => {
        const { byName } = await build({ verifySeconds: "30", maxErrorRate: "0.05", maxP99Ms: "250" });
        const inputs = byName("bluegreen-switch").inputs;
        assert.deepStrictEqual(inputs.verification, {
            seconds: 30,
            maxErrorRate: 0.05,
            minRequests: 20,
            maxP99Ms: 250,
            images: { blue: "bluegreen-sample:1", green: "bluegreen-sample:2" },
        });
        const off = (await build()).byName("bluegreen-switch").inputs;
        assert.strictEqual(off.verification, undefined, "no new input while it is off");
        assert.notStrictEqual(inputs.configVersion, off.configVersion, "the log is part of the config");
    });
});

describe("resource graph with ACME (tlsAcmeEmail)", () => {
    const ACME = {
        tlsAcmeEmail: "ops@example.com",
        tlsHostnames: "app.example.com,www.example.com",
        tlsAcmeDirectory: "https://acme.example:14000/dir",
    };
    for (const e of [
        { engine: "docker-cli", make: () => dockerCliEngine(), type: "pulumi-nodejs:dynamic:Resource" },
        { engine: "docker-provider", make: () => dockerProviderEngine(), type: "docker:index/container:Container" },
    ]) {
        it(`${e.engine}: runs the agent in the proxy's namespaces, gating the switch before and after`, async () => {
            const { service, byName } = await build(ACME, e.make());
            await output(service.certificate!); // registered once the issued gate is
            const agent = byName("bluegreen-acme-container");
            assert.strictEqual(agent.type, e.type);
            const env = (agent.inputs.env ?? {}) as Record<string, string>;
            const envs = (agent.inputs.envs ?? Object.entries(env).map(([k, v]) => `${k}=${v}`)) as string[];
            for (const entry of [
                "ACME_EMAIL=ops@example.com",
                "ACME_DOMAINS=app.example.com,www.example.com",
                "ACME_DIRECTORY=https://acme.example:14000/dir",
                "ACME_LISTEN=127.0.0.1:8402",
            ]) {
                assert.ok(envs.includes(entry), `${entry} in ${envs.join(" ")}`);
            }
            if (e.engine === "docker-cli") {
                assert.match(String(agent.inputs.namespacesOf), /^bluegreen-proxy-container-c?id$/);
                assert.deepStrictEqual(agent.inputs.volumes, [{ name: "unit-acme", path: "/acme" }]);
            } else {
                assert.strictEqual(agent.inputs.networkMode, "container:bluegreen-proxy-container-id");
                assert.strictEqual(agent.inputs.pidMode, "container:bluegreen-proxy-container-id");
                assert.deepStrictEqual(agent.inputs.volumes, [{ volumeName: "unit-acme", containerPath: "/acme" }]);
                assert.deepStrictEqual(agent.inputs.ports, []);
            }
            const deps = (name: string) => OPTIONS.find((o) => o.name === name)!.dependencies;
            assert.ok(
                deps("bluegreen-switch").some((u) => u.endsWith("::bluegreen-acme-ready")),
                "ready before the switch",
            );
            assert.ok(
                deps("bluegreen-acme-issued").some((u) => u.endsWith("::bluegreen-switch")),
                "issued after it",
            );
            const tls = byName("bluegreen-switch").inputs.tls as Record<string, unknown>;
            assert.deepStrictEqual(tls, {
                certificate: "/etc/nginx/bluegreen-acme/bundle.pem",
                key: "/etc/nginx/bluegreen-acme/bundle.pem",
                acmeChallenge: "127.0.0.1:8402",
                redirect: true,
                httpsPort: 8443,
            });
            assert.strictEqual(byName("bluegreen-switch").inputs.tlsKey, undefined, "no key from config");
        });
    }

    it("has no agent without tlsAcmeEmail", async () => {
        await build();
        assert.ok(!registered.some((r) => r.name.startsWith("bluegreen-acme")));
    });
});

describe("resource graph on a remote engine (DOCKER_HOST=ssh://…)", () => {
    const REMOTE = siteOf("ssh://deploy@203.0.113.7:2222");

    for (const e of [
        { engine: "docker-cli", make: () => dockerCliEngine() },
        { engine: "docker-provider", make: () => dockerProviderEngine(undefined, undefined, REMOTE) },
    ]) {
        it(`${e.engine}: gates each colour from inside the proxy, by its name on the stack network`, async () => {
            const { byName } = await build({}, e.make(), REMOTE);
            for (const color of ["blue", "green"]) {
                const health = byName(`bluegreen-${color}-health`).inputs;
                assert.strictEqual(health.url, `http://unit-${color}:8080/health`);
                assert.deepStrictEqual(health.probeFrom, { name: "unit-proxy" });
                const deps = OPTIONS.find((o) => o.name === `bluegreen-${color}-health`)!.dependencies;
                assert.ok(
                    deps.some((urn) => urn.endsWith("::bluegreen-proxy-container")),
                    `${color}'s gate waits for the proxy's container: ${deps.join(", ")}`,
                );
            }
        });

        it(`${e.engine}: confirms the switch and guards the release on nginx's own listener, from inside it`, async () => {
            const { byName } = await build({}, e.make(), REMOTE);
            for (const name of ["bluegreen-switch", "bluegreen-guard"]) {
                assert.strictEqual(byName(name).inputs.publicUrl, "http://127.0.0.1:80", name);
                assert.deepStrictEqual(byName(name).inputs.probeFrom, { name: "unit-proxy" }, name);
            }
        });
    }

    it("opens the smoke test's TARGET_URL through an ssh tunnel to the live colour's port, on both engines", async () => {
        for (const engine of [dockerCliEngine(), dockerProviderEngine(undefined, undefined, REMOTE)]) {
            const { byName } = await build({ smokeTest: "curl -fsS $TARGET_URL" }, engine, REMOTE);
            const smoke = byName("bluegreen-smoke-test");
            assert.strictEqual(smoke.type, "pulumi-nodejs:dynamic:Resource", engine.name);
            assert.strictEqual(smoke.inputs.targetUrl, "http://127.0.0.1:8082");
            assert.deepStrictEqual(smoke.inputs.tunnel, {
                destination: "deploy@203.0.113.7",
                port: 2222,
                remotePort: 8082,
            });
        }
    });

    it("a local engine keeps probing 127.0.0.1 from here, with no probe vantage in any input", async () => {
        const { byName } = await build();
        assert.strictEqual(byName("bluegreen-green-health").inputs.url, "http://127.0.0.1:8082/health");
        for (const name of ["bluegreen-green-health", "bluegreen-switch", "bluegreen-guard"]) {
            assert.ok(!("probeFrom" in byName(name).inputs), `${name} has no probeFrom`);
        }
        const deps = OPTIONS.find((o) => o.name === "bluegreen-green-health")!.dependencies;
        assert.ok(!deps.some((urn) => urn.endsWith("::bluegreen-proxy-container")), "no wait for the proxy");
    });

    it("docker-provider puts every docker resource on one provider with the engine's host and shared-connection ssh options", async () => {
        await build({}, dockerProviderEngine(undefined, undefined, REMOTE), REMOTE);
        const provider = registered.filter((r) => r.type === "pulumi:providers:docker");
        assert.strictEqual(provider.length, 1);
        assert.strictEqual(provider[0].inputs.host, "ssh://deploy@203.0.113.7:2222");
        assert.deepStrictEqual(JSON.parse(String(provider[0].inputs.sshOpts)), [
            "-o",
            "ControlMaster=auto",
            "-o",
            "ControlPath=~/.ssh/bluegreen-%C",
            "-o",
            "ControlPersist=60",
        ]);
        const docker = OPTIONS.filter((o) => o.type.startsWith("docker:index/"));
        assert.ok(docker.length >= 6, `images, containers and the network: ${docker.map((o) => o.name).join(", ")}`);
        for (const o of docker) {
            assert.match(o.provider, /::bluegreen-[a-z-]+-docker::/, `${o.name} is on the explicit provider`);
        }
    });
});

describe("swarm resource graph", () => {
    const SWARM: SwarmTarget = { managerNodeId: "mgr1" };
    const CONFIG = { orchestrator: "swarm", replicas: "3", liveColor: "blue" };
    const CONF_DIR = "/etc/nginx/bluegreen";
    const CONF = `${CONF_DIR}/nginx.conf`;
    const SEED_WRAPPER = `{ [ -s ${CONF} ] || printenv BLUEGREEN_SEED_0 | base64 -d > ${CONF}; } && exec "$@"`;

    /** A service as either engine describes it, in `docker service create` terms. */
    interface ServiceView {
        name: string;
        image: string;
        network: string;
        replicas: number;
        endpointMode: string;
        /** `mode=host,target=80,published=8080,protocol=tcp` */
        publish: string[];
        constraints: string[];
        /** `type=volume,source=...,target=...` */
        mounts: string[];
        command: string[];
        env: Record<string, string>;
        labels: Record<string, string>;
    }

    /** The docker-cli SwarmService's inputs, read through the `docker service create` they become. */
    function cliView(inputs: Record<string, unknown>): ServiceView {
        // The provider's own text and its output placeholder are not part of the service.
        const swarmInputs = Object.fromEntries(
            Object.entries(inputs).filter(([k]) => k !== "__provider" && k !== "serviceId"),
        ) as unknown as SwarmServiceInputs;
        const args = createArgs(swarmInputs);
        const after = (flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
        return {
            name: swarmInputs.name,
            image: swarmInputs.image,
            network: after("--network")[0],
            replicas: Number(after("--replicas")[0]),
            endpointMode: after("--endpoint-mode")[0],
            publish: after("--publish"),
            constraints: after("--constraint"),
            mounts: after("--mount"),
            command: args.slice(args.indexOf(swarmInputs.image) + 1),
            env: swarmInputs.env,
            labels: swarmInputs.labels,
        };
    }

    /** The docker:index/service:Service's inputs, in the same terms. */
    function providerView(inputs: Record<string, unknown>): ServiceView {
        interface Inputs {
            name: string;
            labels: { label: string; value: string }[];
            mode: { replicated: { replicas: number } };
            endpointSpec: {
                mode: string;
                ports: { targetPort: number; publishedPort: number; publishMode: string; protocol: string }[];
            };
            taskSpec: {
                containerSpec: {
                    image: string;
                    commands?: string[];
                    env?: Record<string, string>;
                    mounts?: { type: string; source: string; target: string }[];
                };
                networksAdvanceds: { name: string }[];
                placement?: { constraints: string[] };
            };
        }
        const s = inputs as unknown as Inputs;
        const container = s.taskSpec.containerSpec;
        return {
            name: s.name,
            image: container.image,
            network: s.taskSpec.networksAdvanceds.map((n) => n.name).join(","),
            replicas: s.mode.replicated.replicas,
            endpointMode: s.endpointSpec.mode,
            publish: s.endpointSpec.ports.map(
                (p) =>
                    `mode=${p.publishMode},target=${p.targetPort},published=${p.publishedPort},protocol=${p.protocol}`,
            ),
            constraints: s.taskSpec.placement?.constraints ?? [],
            mounts: (container.mounts ?? []).map((m) => `type=${m.type},source=${m.source},target=${m.target}`),
            command: container.commands ?? [],
            env: container.env ?? {},
            labels: Object.fromEntries(s.labels.map((l) => [l.label, l.value])),
        };
    }

    const ENGINES = [
        {
            engine: "docker-cli",
            make: () => dockerCliEngine(undefined, SWARM),
            serviceType: "pulumi-nodejs:dynamic:Resource",
            view: cliView,
            proxyRevision: "bluegreen-proxy-service-sid",
            colorRevision: (color: string) => `bluegreen-${color}-service-sid/sha256:bluegreen-${color}-image/3`,
            /** The docker-provider engine marks what it made; the CLI's resources carry no such label. */
            engineLabel: {},
        },
        {
            engine: "docker-provider",
            make: () => dockerProviderEngine(undefined, SWARM),
            serviceType: "docker:index/service:Service",
            view: providerView,
            proxyRevision: "bluegreen-proxy-service-id",
            colorRevision: (color: string) => `bluegreen-${color}-service-id/sha256:bluegreen-${color}-image/3`,
            engineLabel: { "io.bluegreen.engine": "docker-provider" },
        },
    ];

    /** Names (the URN's last part) of the resources `name` waits for. */
    function dependencyNames(name: string): string[] {
        const found = OPTIONS.find((o) => o.name === name);
        assert.ok(found, `no registration of ${name}`);
        return found.dependencies.map((urn) => urn.slice(urn.lastIndexOf("::") + 2)).sort();
    }

    for (const e of ENGINES) {
        describe(`on the ${e.engine} engine`, () => {
            const swarmBuild = (overrides: Record<string, string> = {}) => build({ ...CONFIG, ...overrides }, e.make());
            const serviceOf = async (name: string) => {
                const { byName } = await swarmBuild();
                const found = byName(name);
                assert.strictEqual(found.type, e.serviceType, name);
                return e.view(found.inputs);
            };

            it("creates services for the proxy and both colours, and no plain container at all", async () => {
                await swarmBuild();
                const ours = registered.filter((r) => !r.type.startsWith("bluegreen:index:"));
                const byType = (type: string) =>
                    ours
                        .filter((r) => r.type === type)
                        .map((r) => r.name)
                        .sort();
                assert.deepStrictEqual(
                    byType(e.serviceType).filter((n) => n.endsWith("-service")),
                    ["bluegreen-blue-service", "bluegreen-green-service", "bluegreen-proxy-service"],
                );
                assert.deepStrictEqual(
                    registered
                        .filter((r) => r.type.startsWith("bluegreen:index:"))
                        .map((r) => `${r.type} ${r.name}`)
                        .sort(),
                    [
                        "bluegreen:index:BlueGreenService bluegreen",
                        "bluegreen:index:SwarmColorSlot bluegreen-blue",
                        "bluegreen:index:SwarmColorSlot bluegreen-green",
                        "bluegreen:index:SwarmProxy bluegreen-proxy",
                    ],
                );
                assert.deepStrictEqual(ours.map((r) => r.name).sort(), [
                    "bluegreen-blue-health",
                    "bluegreen-blue-image",
                    "bluegreen-blue-service",
                    "bluegreen-green-health",
                    "bluegreen-green-image",
                    "bluegreen-green-service",
                    "bluegreen-guard",
                    "bluegreen-network",
                    "bluegreen-proxy-image",
                    "bluegreen-proxy-service",
                    // docker-provider: the proxy's files volume is a resource, so destroy removes it.
                    ...(e.engine === "docker-provider" ? ["bluegreen-proxy-service-files"] : []),
                    "bluegreen-switch",
                ]);
                if (e.engine === "docker-provider") {
                    const volume = registered.find((r) => r.name === "bluegreen-proxy-service-files");
                    assert.strictEqual(volume?.type, "docker:index/volume:Volume");
                    assert.strictEqual(volume?.inputs.name, "unit-proxy-files");
                }
                assert.deepStrictEqual(
                    ours.filter((r) => r.type === "docker:index/container:Container" || /-container$/.test(r.name)),
                    [],
                    "no plain containers in swarm mode",
                );
            });

            it("puts everything on an attachable overlay network", async () => {
                const { byName } = await swarmBuild();
                const network = byName("bluegreen-network");
                if (e.engine === "docker-cli") {
                    assert.strictEqual(network.type, "pulumi-nodejs:dynamic:Resource");
                    // The provider makes every overlay network attachable (`--driver overlay --attachable`).
                    assert.strictEqual(network.inputs.driver, "overlay");
                    assert.strictEqual(network.inputs.name, "unit-net");
                } else {
                    assert.strictEqual(network.type, "docker:index/network:Network");
                    assert.deepStrictEqual(network.inputs, {
                        name: "unit-net",
                        labels: [{ label: "io.bluegreen.managed", value: "unit" }],
                        driver: "overlay",
                        attachable: true,
                    });
                }
            });

            it("runs each colour as 3 unpinned replicas by DNS round-robin, publishing no port", async () => {
                for (const color of ["blue", "green"]) {
                    const s = await serviceOf(`bluegreen-${color}-service`);
                    assert.strictEqual(s.name, `unit-${color}`);
                    assert.strictEqual(s.image, color === "blue" ? "bluegreen-sample:1" : "bluegreen-sample:2");
                    assert.strictEqual(s.network, "unit-net");
                    assert.strictEqual(s.replicas, 3, color);
                    assert.strictEqual(s.endpointMode, "dnsrr", color);
                    assert.deepStrictEqual(s.publish, [], `${color} publishes nothing`);
                    assert.deepStrictEqual(s.constraints, [], `${color} is not pinned`);
                    assert.deepStrictEqual(s.mounts, []);
                    assert.deepStrictEqual(s.command, [], "the image's own command");
                    assert.deepStrictEqual(s.env, {});
                    assert.deepStrictEqual(s.labels, {
                        "io.bluegreen.managed": "unit",
                        "io.bluegreen.color": color,
                        ...e.engineLabel,
                    });
                }
            });

            it("runs the proxy as one task pinned to the manager, publishing its ports in host mode", async () => {
                const s = await serviceOf("bluegreen-proxy-service");
                assert.strictEqual(s.name, "unit-proxy");
                assert.strictEqual(s.image, "nginx:1.28.0");
                assert.strictEqual(s.network, "unit-net");
                assert.strictEqual(s.replicas, 1);
                assert.strictEqual(s.endpointMode, "dnsrr");
                assert.deepStrictEqual(s.publish, [
                    "mode=host,target=80,published=8080,protocol=tcp",
                    "mode=host,target=443,published=8443,protocol=tcp",
                    "mode=host,target=81,published=8081,protocol=tcp",
                    "mode=host,target=82,published=8082,protocol=tcp",
                ]);
                assert.deepStrictEqual(s.constraints, ["node.id==mgr1"]);
                assert.deepStrictEqual(s.labels, {
                    "io.bluegreen.managed": "unit",
                    "io.bluegreen.role": "proxy",
                    ...e.engineLabel,
                });
            });

            it("seeds the proxy's files volume with the placeholder config before nginx starts", async () => {
                const s = await serviceOf("bluegreen-proxy-service");
                assert.deepStrictEqual(s.mounts, [`type=volume,source=unit-proxy-files,target=${CONF_DIR}`]);
                assert.deepStrictEqual(s.command, [
                    "sh",
                    "-c",
                    SEED_WRAPPER,
                    "--",
                    "nginx",
                    "-c",
                    CONF,
                    "-g",
                    "daemon off;",
                ]);
                assert.deepStrictEqual(Object.keys(s.env), ["BLUEGREEN_SEED_0"]);
                const seed = Buffer.from(s.env.BLUEGREEN_SEED_0, "base64").toString("utf8");
                assert.match(seed, /listen 81;/);
                assert.match(seed, /listen 82;/);
                assert.match(seed, /return 503/);
                assert.strictEqual(seed, renderPlaceholderConfig(swarmRouting("unit"), 8080).text);
            });

            it("gates each colour on every replica, probed from the proxy's task once it runs", async () => {
                const { byName } = await swarmBuild();
                for (const color of ["blue", "green"]) {
                    const health = byName(`bluegreen-${color}-health`).inputs;
                    assert.deepStrictEqual(health.replicaSet, {
                        service: `unit-${color}`,
                        network: "unit-net",
                        probeFrom: "unit-proxy",
                        port: 8080,
                        path: "/health",
                        replicas: 3,
                    });
                    assert.strictEqual(health.url, `http://tasks.unit-${color}:8080/health`);
                    assert.strictEqual(health.containerId, e.colorRevision(color), "re-runs for new replicas");
                    assert.strictEqual(health.live, color === "blue");
                    const deps = dependencyNames(`bluegreen-${color}-health`);
                    assert.ok(deps.includes("bluegreen-proxy-service"), `${color} health waits for the proxy: ${deps}`);
                    assert.ok(deps.includes(`bluegreen-${color}-service`), `${color} health waits for its service`);
                }
            });

            it("switches the proxy service's config file to tasks.<stack>-<live> after the live gate", async () => {
                const { service, byName } = await swarmBuild();
                const sw = byName("bluegreen-switch").inputs;
                assert.strictEqual(sw.proxyIsService, true);
                assert.strictEqual(sw.confPath, CONF);
                assert.strictEqual(sw.proxyContainer, "unit-proxy");
                assert.strictEqual(sw.proxyContainerId, e.proxyRevision);
                assert.strictEqual(sw.color, "blue");
                assert.strictEqual(sw.host, "tasks.unit-blue");
                assert.strictEqual(sw.port, 8080);
                assert.deepStrictEqual(sw.swarm, swarmRouting("unit"));
                assert.strictEqual(
                    sw.configVersion,
                    renderProxyConfig({ color: "blue", host: "tasks.unit-blue", port: 8080 }, swarmRouting("unit"))
                        .version,
                );
                assert.deepStrictEqual(service.switchGates, [service.slots.blue.healthCheck]);
                const deps = dependencyNames("bluegreen-switch");
                assert.ok(deps.includes("bluegreen-blue-health"), `the switch waits for the live gate: ${deps}`);
                assert.ok(!deps.includes("bluegreen-green-health"), "not for the standby's");
                assert.deepStrictEqual(
                    [service.url, service.blueUrl, service.greenUrl],
                    ["http://127.0.0.1:8080", "http://127.0.0.1:8081", "http://127.0.0.1:8082"],
                );
            });
        });
    }

    it("docker-provider replaces services old-first (fixed names)", async () => {
        await build(CONFIG, dockerProviderEngine(undefined, SWARM));
        const services = OPTIONS.filter((o) => o.type === "docker:index/service:Service");
        assert.strictEqual(services.length, 3);
        for (const o of services) {
            assert.strictEqual(o.deleteBeforeReplace, true, o.name);
        }
    });

    it("gives the SwarmService a provider text that loads its provider", async () => {
        const { byName } = await build(CONFIG, dockerCliEngine(undefined, SWARM));
        const text = byName("bluegreen-proxy-service").inputs.__provider;
        assert.strictEqual(loadProvider(text, REPO), swarmServiceProvider);
    });

    it("rejects replicas=2 with orchestrator docker before any resource is made", async () => {
        await assert.rejects(build({ replicas: "2" }), (err: unknown) => {
            assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
            assert.match(err.message, /^bluegreen:replicas must be 1 with orchestrator docker \(got 2\); /);
            assert.ok(!err.message.includes("\n"), "one line");
            return true;
        });
        assert.deepStrictEqual(registered, []);
    });
});

describe("docker-provider resources registered by token (packageResources.ts)", () => {
    // The classes of the packages, loaded here only: what the engine must receive from both.
    const docker = require("@pulumi/docker") as typeof import("@pulumi/docker");
    const command = require("@pulumi/command") as typeof import("@pulumi/command");

    /** The whole request a resource made, its name (and so its URN) taken out. */
    async function requestOf(name: string, make: (name: string) => pulumi.CustomResource) {
        const resource = make(name);
        await output(resource.urn);
        const found = REQUESTS.filter((r) => r.getName() === name);
        assert.strictEqual(found.length, 1, `one request for ${name}`);
        // Where in the code it was made differs by construction: not part of what the engine acts on.
        const request = found[0].toObject();
        delete request.sourceposition;
        delete request.stacktrace;
        assert.ok(typeof request.type === "string" && request.type !== "", "a type token");
        return JSON.parse(JSON.stringify(request).split(name).join("NAME")) as Record<string, unknown>;
    }

    async function assertSame(
        what: string,
        ours: (name: string) => pulumi.CustomResource,
        theirs: (name: string) => pulumi.CustomResource,
    ) {
        const mine = await requestOf(`ours-${what}`, ours);
        const package_ = await requestOf(`package-${what}`, theirs);
        assert.deepStrictEqual(mine, package_, what);
    }

    const labels = [{ label: "io.bluegreen.managed", value: "unit" }];
    const cases: [string, (make: "ours" | "package", name: string) => pulumi.CustomResource][] = [
        [
            "remote image",
            (make, name) => {
                const args = { name: "bluegreen-sample:1", keepLocally: true };
                return make === "ours" ? packaged.remoteImage(name, args, {}) : new docker.RemoteImage(name, args);
            },
        ],
        [
            "overlay network",
            (make, name) => {
                const args = { name: "unit-net", labels, driver: "overlay", attachable: true };
                return make === "ours" ? packaged.network(name, args, {}) : new docker.Network(name, args);
            },
        ],
        [
            "container with files, ports and options",
            (make, name) => {
                const args = {
                    name: "unit-blue",
                    image: "sha256:abc",
                    networksAdvanced: [{ name: "unit-net" }],
                    ports: [{ internal: 8080, external: 8081, ip: "127.0.0.1" }],
                    labels,
                    restart: "unless-stopped",
                    uploads: [{ file: "/etc/nginx/conf.d/default.conf", content: "events {}" }],
                };
                const opts = { deleteBeforeReplace: true, ignoreChanges: ["uploads"] };
                return make === "ours" ? packaged.container(name, args, opts) : new docker.Container(name, args, opts);
            },
        ],
        [
            "volume",
            (make, name) => {
                const args = { name: "unit-proxy-files", labels };
                return make === "ours" ? packaged.volume(name, args, {}) : new docker.Volume(name, args);
            },
        ],
        [
            "service",
            (make, name) => {
                const args = {
                    name: "unit-blue",
                    labels,
                    mode: { replicated: { replicas: 2 } },
                    endpointSpec: {
                        mode: "dnsrr",
                        ports: [{ targetPort: 80, publishedPort: 8080, publishMode: "host" }],
                    },
                    taskSpec: {
                        containerSpec: { image: "bluegreen-sample:1", commands: ["sh", "-c", "x"], env: { A: "1" } },
                        networksAdvanceds: [{ name: "unit-net" }],
                        restartPolicy: { condition: "any", delay: "1s" },
                    },
                };
                const opts = { deleteBeforeReplace: true, replaceOnChanges: ["taskSpec.containerSpec.image"] };
                return make === "ours" ? packaged.service(name, args, opts) : new docker.Service(name, args, opts);
            },
        ],
        [
            "provider for a remote engine with registry logins",
            (make, name) => {
                const args = {
                    host: "ssh://deploy@10.0.0.1:2222",
                    sshOpts: ["-o", "ControlMaster=auto"],
                    registryAuth: pulumi.output([{ address: "127.0.0.1:5000", username: "u", password: "p" }]),
                };
                return make === "ours" ? packaged.dockerProvider(name, args, {}) : new docker.Provider(name, args);
            },
        ],
        [
            "provider taking the host from DOCKER_HOST",
            (make, name) => {
                const before = process.env.DOCKER_HOST;
                process.env.DOCKER_HOST = "tcp://127.0.0.1:2375";
                try {
                    return make === "ours" ? packaged.dockerProvider(name, {}, {}) : new docker.Provider(name, {});
                } finally {
                    if (before === undefined) delete process.env.DOCKER_HOST;
                    else process.env.DOCKER_HOST = before;
                }
            },
        ],
        [
            "local command",
            (make, name) => {
                const args = {
                    create: "curl -fsS $TARGET_URL",
                    update: "curl -fsS $TARGET_URL",
                    environment: { TARGET_URL: "http://127.0.0.1:8082", TARGET_COLOR: "green" },
                    triggers: ["cid", "curl -fsS $TARGET_URL"],
                };
                return make === "ours" ? packaged.localCommand(name, args, {}) : new command.local.Command(name, args);
            },
        ],
    ];
    for (const [what, make] of cases) {
        it(`registers a ${what} exactly as the package's class does`, async () => {
            await assertSame(
                what.replace(/ /g, "-"),
                (name) => make("ours", name),
                (name) => make("package", name),
            );
        });
    }

    it("asks for the plugin versions the packages name", async () => {
        const image = await requestOf("ours-version", (name) => packaged.remoteImage(name, { name: "x:1" }, {}));
        assert.strictEqual(image.version, require("@pulumi/docker/package.json").pulumi.version);
        const cmd = await requestOf("ours-cmd-version", (name) => packaged.localCommand(name, { create: "true" }, {}));
        assert.strictEqual(cmd.version, require("@pulumi/command/package.json").pulumi.version);
    });

    it("leaves @pulumi/pulumi's index, @pulumi/docker and @pulumi/command unloaded by the program's modules", () => {
        const script = [
            "for (const m of ['service', 'engines/select', 'engines/dockerProvider']) require('./bin/components/' + m);",
            "const loaded = Object.keys(require.cache).filter((k) =>",
            "  /node_modules\\/@pulumi\\/(docker|command)\\/|node_modules\\/@pulumi\\/pulumi\\/(index|automation\\/index)\\.js$/.test(k));",
            "console.log(JSON.stringify(loaded));",
        ].join("\n");
        const out = require("child_process").execFileSync(process.execPath, ["-e", script], {
            cwd: REPO,
            encoding: "utf8",
        });
        assert.deepStrictEqual(JSON.parse(out), []);
    });
});
