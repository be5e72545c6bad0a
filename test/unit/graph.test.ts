// The resource graph of a Proxy and an App under Pulumi mocks: names, images, ports, the dependency
// chain, outputs.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { renderPlaceholderConfig, renderProxyConfig } from "../../components/core/nginx";

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
    /** The parent's URN. */
    parent: string;
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
    getParent(): string;
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
        parent: req.getParent(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        ignoreChanges: req.getIgnorechangesList(),
        dependencies: req.getDependenciesList(),
        provider: req.getProvider(),
    });
    return registerResource(req, callback);
};

// Imported after setMocks so every resource registers against the mocks.
import { App, AppArgs } from "../../components/app";
import { Proxy, ProxyArgs } from "../../components/proxy";
import { pinTarget } from "../../components/engines/select";
import { Engine } from "../../components/engines/engine";
import { SwarmTarget } from "../../components/core/engineRules";
import { dockerCliEngine } from "../../components/engines/dockerCli";
import { dockerProviderEngine } from "../../components/engines/dockerProvider";
import { acmeGateProvider } from "../../components/providers/acmeGate";
import { containerProvider } from "../../components/providers/container";
import { healthCheckProvider } from "../../components/providers/healthCheck";
import { networkProvider } from "../../components/providers/network";
import { proxySwitchProvider } from "../../components/providers/proxySwitch";
import { releaseGuardProvider } from "../../components/providers/releaseGuard";
import { smokeTestProvider } from "../../components/providers/smokeTest";
import { imageProvider } from "../../components/providers/image";
import { createArgs, SwarmServiceInputs, swarmServiceProvider } from "../../components/providers/swarmService";
import { swarmRouting } from "../../components/swarmProxy";
import { type AppRoute, recordVersion } from "../../components/core/nginx/apps";
import { Site, siteOf } from "../../components/core/site";
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
    acmeGate: acmeGateProvider,
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

type AppOverrides = Partial<Omit<AppArgs, "proxy">>;

/** How the mocks show a secret input: `{ [SIG]: SECRET_SIG, value }`. */
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** An input's value, a secret's revealed; `undefined` for none (a secret of nothing included). */
function revealed(input: unknown): unknown {
    const value =
        typeof input === "object" && input !== null && (input as Record<string, unknown>)[SIG] === SECRET_SIG
            ? (input as { value: unknown }).value
            : input;
    return value ?? undefined;
}

/** The App's required arguments: green live, each colour on its own release of the sample. */
const APP_ARGS = { liveColor: "green", blueImage: "bluegreen-sample:1", greenImage: "bluegreen-sample:2" } as const;

/** Where the Proxy runs: the engine and site `pinTarget` gives it instead of asking Docker. */
interface Target {
    engine?: Engine;
    site?: Site;
}

/** Starts a new graph: what earlier builds registered is forgotten. */
function reset(): void {
    registered.length = 0;
    OPTIONS.length = 0;
}

/** Runs `make` with every Proxy it builds on `target` (the docker-cli engine on this machine by default). */
function onTarget<T>(target: Target, make: () => T): T {
    pinTarget({ engine: target.engine ?? dockerCliEngine(), site: target.site ?? siteOf(undefined) });
    try {
        return make();
    } finally {
        pinTarget(undefined);
    }
}

/** Every output of both components, resolved: by then every resource is registered. */
async function settled(proxy: Proxy, app: App): Promise<void> {
    await Promise.all([
        output(proxy.urn),
        output(proxy.url),
        output(proxy.httpsUrl),
        output(proxy.networkName),
        output(proxy.engine),
        output(app.urn),
        output(app.liveColor),
        output(app.liveImage),
        output(app.standbyColor),
        output(app.standbyImage),
        output(app.url),
        output(app.httpsUrl),
        output(app.blueUrl),
        output(app.greenUrl),
        output(app.proxyConfigVersion),
        output(app.digests),
        output(app.canary),
        output(app.verification),
        output(app.maintenance),
        output(app.certificate),
        output(app.engine),
    ]);
}

/** `new Proxy("bluegreen", proxyArgs)` and `new App("bluegreen", { proxy, ...appArgs })`, all registered. */
async function build(app: AppOverrides = {}, proxyArgs: ProxyArgs = {}, target: Target = {}) {
    reset();
    const { proxy, service } = onTarget(target, () => {
        const proxy = new Proxy("bluegreen", proxyArgs);
        return { proxy, service: new App("bluegreen", { proxy, ...APP_ARGS, ...app }) };
    });
    await settled(proxy, service);
    const byName = (name: string) => {
        const found = registered.filter((r) => r.name === name && !r.type.startsWith("bluegreen:index:"));
        assert.strictEqual(
            found.length,
            1,
            `one resource named ${name}; have ${registered.map((r) => r.name).join(", ")}`,
        );
        return found[0];
    };
    return { proxy, service, byName };
}

/** The registration of the one resource called `name` (components included, if `type` says so). */
function optionsOf(name: string, type?: string) {
    const found = OPTIONS.filter((o) => o.name === name && (type === undefined || o.type === type));
    assert.strictEqual(found.length, 1, `one registration of ${name}${type ? ` (${type})` : ""}`);
    return found[0];
}

/** The name (the URN's last part) of a URN. */
function nameOf(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Names of the resources `name` waits for. */
function dependencyNames(name: string, type?: string): string[] {
    return optionsOf(name, type).dependencies.map(nameOf).sort();
}

/** The type (the URN's last type, after the parents' chain) of a URN. */
function typeOf(urn: string): string {
    const types = urn.split("::")[2];
    return types.slice(types.lastIndexOf("$") + 1);
}

/** `<type> <name>` of the parent of the resource `name` (of `type`, when names are shared). */
function parentOf(name: string, type?: string): string {
    const urn = optionsOf(name, type).parent;
    return `${typeOf(urn)} ${nameOf(urn)}`;
}

/** The names of every resource registered, with their types, sorted. */
function inventory(): string[] {
    return registered.map((r) => `${r.type} ${r.name}`).sort();
}

/** What an App must throw for a bad argument: one line, a RunError (no stack trace), naming it. */
function configFailure(pattern: RegExp) {
    return (err: unknown) => {
        assert.ok(err instanceof pulumi.RunError, `expected a RunError, got ${err}`);
        assert.match(err.message, pattern);
        assert.ok(!err.message.includes("\n"), "one line");
        return true;
    };
}

/** Waits until every registration the program started has been answered (the runtime's own drain). */
async function drained(): Promise<void> {
    await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

/** A Proxy on one Docker engine (docker-cli), as `inventory()` lists it. */
const PROXY_CHILDREN = [
    "bluegreen:index:Proxy bluegreen",
    "bluegreen:index:ProxyContainer bluegreen-proxy",
    "pulumi-nodejs:dynamic:Resource bluegreen-network",
    "pulumi-nodejs:dynamic:Resource bluegreen-proxy-container",
    "pulumi-nodejs:dynamic:Resource bluegreen-proxy-image",
];

describe("resource graph (mocks)", () => {
    it("creates exactly the expected children, named from the components", async () => {
        await build();
        assert.deepStrictEqual(
            inventory(),
            [
                ...PROXY_CHILDREN,
                "bluegreen:index:App bluegreen",
                "bluegreen:index:ColorSlot bluegreen-blue",
                "bluegreen:index:ColorSlot bluegreen-green",
                "pulumi-nodejs:dynamic:Resource bluegreen-blue-container",
                "pulumi-nodejs:dynamic:Resource bluegreen-blue-health",
                "pulumi-nodejs:dynamic:Resource bluegreen-blue-image",
                "pulumi-nodejs:dynamic:Resource bluegreen-green-container",
                "pulumi-nodejs:dynamic:Resource bluegreen-green-health",
                "pulumi-nodejs:dynamic:Resource bluegreen-green-image",
                "pulumi-nodejs:dynamic:Resource bluegreen-guard",
                "pulumi-nodejs:dynamic:Resource bluegreen-switch",
            ].sort(),
        );
    });

    it("parents the network and nginx to the Proxy, the colours, guard and switch to the App", async () => {
        await build({ smokeTest: "true" });
        const PROXY = "bluegreen:index:Proxy bluegreen";
        const APP = "bluegreen:index:App bluegreen";
        assert.strictEqual(parentOf("bluegreen-network"), PROXY);
        assert.strictEqual(parentOf("bluegreen-proxy", "bluegreen:index:ProxyContainer"), PROXY);
        assert.strictEqual(parentOf("bluegreen-proxy-image"), "bluegreen:index:ProxyContainer bluegreen-proxy");
        assert.strictEqual(parentOf("bluegreen-proxy-container"), "bluegreen:index:ProxyContainer bluegreen-proxy");
        for (const name of ["bluegreen-guard", "bluegreen-smoke-test", "bluegreen-switch"]) {
            assert.strictEqual(parentOf(name), APP, name);
        }
        for (const color of ["blue", "green"]) {
            assert.strictEqual(parentOf(`bluegreen-${color}`, "bluegreen:index:ColorSlot"), APP, color);
            for (const part of ["image", "container", "health"]) {
                assert.strictEqual(
                    parentOf(`bluegreen-${color}-${part}`),
                    `bluegreen:index:ColorSlot bluegreen-${color}`,
                    `${color} ${part}`,
                );
            }
        }
        // Neither component is the other's child: each is the program's own.
        for (const type of ["bluegreen:index:Proxy", "bluegreen:index:App"]) {
            assert.doesNotMatch(optionsOf("bluegreen", type).parent, /bluegreen:index:/, type);
        }
    });

    it("runs each colour's image in a container named after the app, on loopback ports only", async () => {
        const { byName } = await build();
        const blue = byName("bluegreen-blue-container").inputs;
        const green = byName("bluegreen-green-container").inputs;
        assert.strictEqual(blue.name, "bluegreen-blue");
        assert.strictEqual(blue.image, "bluegreen-sample:1");
        assert.strictEqual(green.name, "bluegreen-green");
        assert.strictEqual(green.image, "bluegreen-sample:2");
        assert.deepStrictEqual(blue.ports, [{ hostIp: "127.0.0.1", hostPort: 8081, containerPort: 8080 }]);
        assert.deepStrictEqual(green.ports, [{ hostIp: "127.0.0.1", hostPort: 8082, containerPort: 8080 }]);
        assert.strictEqual(blue.network, "bluegreen-net");
        assert.strictEqual(green.imageId, "sha256:bluegreen-green-image", "runs the image its image resource resolved");
        assert.strictEqual(green.restart, "unless-stopped");
        assert.deepStrictEqual(green.seedFiles, []);
        assert.deepStrictEqual(green.labels, { "io.bluegreen.managed": "bluegreen", "io.bluegreen.color": "green" });
        assert.strictEqual(byName("bluegreen-green-image").inputs.ref, "bluegreen-sample:2");
        assert.strictEqual(byName("bluegreen-proxy-image").inputs.ref, "nginx:1.28.0");
        assert.deepStrictEqual(byName("bluegreen-network").inputs.name, "bluegreen-net");
        assert.deepStrictEqual(byName("bluegreen-network").inputs.labels, { "io.bluegreen.managed": "bluegreen" });
        assert.strictEqual(byName("bluegreen-network").inputs.driver, "bridge");
    });

    it("takes the app's ports and image and the proxy's from their arguments", async () => {
        const { byName } = await build(
            { appPort: 3000, bluePort: 9001, greenPort: 9002, blueImage: "registry.example:5000/web:7" },
            { publicPort: 9000, httpsPort: 9443, image: "nginx:1.27.4" },
        );
        assert.deepStrictEqual(byName("bluegreen-blue-container").inputs.ports, [
            { hostIp: "127.0.0.1", hostPort: 9001, containerPort: 3000 },
        ]);
        assert.deepStrictEqual(byName("bluegreen-green-container").inputs.ports, [
            { hostIp: "127.0.0.1", hostPort: 9002, containerPort: 3000 },
        ]);
        assert.strictEqual(byName("bluegreen-blue-image").inputs.ref, "registry.example:5000/web:7");
        assert.strictEqual(byName("bluegreen-proxy-image").inputs.ref, "nginx:1.27.4");
        assert.deepStrictEqual(byName("bluegreen-proxy-container").inputs.ports, [
            { hostIp: "0.0.0.0", hostPort: 9000, containerPort: 80 },
            { hostIp: "0.0.0.0", hostPort: 9443, containerPort: 443 },
        ]);
        assert.strictEqual(byName("bluegreen-green-health").inputs.url, "http://127.0.0.1:9002/health");
        assert.strictEqual(byName("bluegreen-switch").inputs.port, 3000);
        assert.strictEqual(byName("bluegreen-switch").inputs.publicUrl, "http://127.0.0.1:9000");
    });

    it("publishes only the proxy on the public and HTTPS ports, seeded with the placeholder config", async () => {
        const { byName } = await build();
        const proxy = byName("bluegreen-proxy-container").inputs;
        assert.strictEqual(proxy.name, "bluegreen-proxy");
        // HTTPS is published before TLS is on, so turning it on later keeps the container.
        assert.deepStrictEqual(proxy.ports, [
            { hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80 },
            { hostIp: "0.0.0.0", hostPort: 8443, containerPort: 443 },
        ]);
        assert.strictEqual(proxy.network, "bluegreen-net");
        assert.strictEqual(proxy.imageId, "sha256:bluegreen-proxy-image");
        assert.deepStrictEqual(proxy.labels, { "io.bluegreen.managed": "bluegreen", "io.bluegreen.role": "proxy" });
        const seeds = proxy.seedFiles as { path: string; content: string }[];
        assert.strictEqual(seeds.length, 1);
        assert.strictEqual(seeds[0].path, "/etc/nginx/nginx.conf");
        assert.match(seeds[0].content, /return 503/);
        assert.strictEqual(seeds[0].content, renderPlaceholderConfig().text);
    });

    it("gates each colour on its own health check, re-run when it becomes live", async () => {
        const { byName } = await build();
        const green = byName("bluegreen-green-health").inputs;
        assert.strictEqual(green.url, "http://127.0.0.1:8082/health");
        assert.strictEqual(green.color, "green");
        assert.strictEqual(green.containerId, "bluegreen-green-container-cid");
        assert.strictEqual(green.live, true);
        const blue = byName("bluegreen-blue-health").inputs;
        assert.strictEqual(blue.url, "http://127.0.0.1:8081/health");
        assert.strictEqual(blue.containerId, "bluegreen-blue-container-cid");
        assert.strictEqual(blue.live, false);
        assert.deepStrictEqual([green.timeoutSeconds, green.intervalMs, green.threshold], [60, 50, 3]);
        assert.deepStrictEqual(dependencyNames("bluegreen-green-health"), ["bluegreen-green-container"]);
        const other = await build({
            liveColor: "blue",
            healthPath: "/ready",
            healthTimeoutSeconds: 5,
            healthIntervalMs: 200,
            healthyThreshold: 7,
        });
        const ready = other.byName("bluegreen-blue-health").inputs;
        assert.strictEqual(ready.url, "http://127.0.0.1:8081/ready");
        assert.deepStrictEqual([ready.timeoutSeconds, ready.intervalMs, ready.threshold], [5, 200, 7]);
        assert.strictEqual(ready.live, true);
        assert.strictEqual(other.byName("bluegreen-green-health").inputs.live, false);
    });

    it("switches the proxy to the live colour after both colours' health checks", async () => {
        const { byName } = await build();
        const sw = byName("bluegreen-switch").inputs;
        assert.strictEqual(sw.color, "green");
        assert.strictEqual(sw.host, "bluegreen-green");
        assert.strictEqual(sw.port, 8080);
        assert.strictEqual(sw.proxyContainer, "bluegreen-proxy");
        assert.strictEqual(sw.proxyContainerId, "bluegreen-proxy-container-cid");
        assert.strictEqual(sw.publicUrl, "http://127.0.0.1:8080");
        assert.strictEqual(
            sw.configVersion,
            renderProxyConfig({ color: "green", host: "bluegreen-green", port: 8080 }).version,
        );
        // Both gates: the live one's fails the update, the standby's only records (its `live` says which).
        assert.deepStrictEqual(dependencyNames("bluegreen-switch"), [
            "bluegreen-blue-health",
            "bluegreen-green-health",
            "bluegreen-proxy-container",
        ]);
        for (const off of [
            "tls",
            "tlsCertificate",
            "maintenance",
            "canary",
            "verification",
            "swarm",
            "proxyIsService",
        ]) {
            assert.strictEqual(sw[off], undefined, `no ${off} input`);
        }
        assert.strictEqual(revealed(sw.tlsKey), undefined, "no key");
    });

    it("puts the smoke test between the health checks and the switch when configured", async () => {
        const { byName } = await build({ smokeTest: "curl -fsS $TARGET_URL" });
        const smoke = byName("bluegreen-smoke-test").inputs;
        assert.strictEqual(smoke.command, "curl -fsS $TARGET_URL");
        assert.strictEqual(smoke.targetUrl, "http://127.0.0.1:8082");
        assert.strictEqual(smoke.color, "green");
        assert.strictEqual(smoke.containerId, "bluegreen-green-container-cid", "runs again for a new container");
        assert.deepStrictEqual(dependencyNames("bluegreen-smoke-test"), [
            "bluegreen-blue-container",
            "bluegreen-blue-health",
            "bluegreen-green-container",
            "bluegreen-green-health",
        ]);
        assert.ok(dependencyNames("bluegreen-switch").includes("bluegreen-smoke-test"), "the switch waits for it");
        assert.ok(
            !registered.some((r) => r.name === "bluegreen-smoke-test" && (r.inputs.tunnel ?? false)),
            "no tunnel",
        );
        await build();
        assert.ok(!registered.some((r) => r.name === "bluegreen-smoke-test"), "none without smokeTest");
        assert.ok(!dependencyNames("bluegreen-switch").includes("bluegreen-smoke-test"));
    });

    it("guards the release with the configured state, before either colour is touched", async () => {
        const { byName } = await build();
        const guard = byName("bluegreen-guard").inputs;
        assert.deepStrictEqual(
            { liveColor: guard.liveColor, blueImage: guard.blueImage, greenImage: guard.greenImage },
            { liveColor: "green", blueImage: "bluegreen-sample:1", greenImage: "bluegreen-sample:2" },
        );
        assert.strictEqual(guard.publicUrl, "http://127.0.0.1:8080");
        assert.deepStrictEqual(dependencyNames("bluegreen-guard"), []);
        // The colours' slots wait for it, and so (through their parent) every resource in them.
        for (const color of ["blue", "green"]) {
            assert.deepStrictEqual(
                dependencyNames(`bluegreen-${color}`, "bluegreen:index:ColorSlot"),
                ["bluegreen-guard"],
                color,
            );
        }
    });

    it("exports live and standby colour, images, URLs and the rest as outputs", async () => {
        const { proxy, service } = await build();
        assert.strictEqual(await output(service.liveColor), "green");
        assert.strictEqual(await output(service.liveImage), "bluegreen-sample:2");
        assert.strictEqual(await output(service.standbyColor), "blue");
        assert.strictEqual(await output(service.standbyImage), "bluegreen-sample:1");
        assert.deepStrictEqual(
            await Promise.all([output(service.url), output(service.blueUrl), output(service.greenUrl)]),
            ["http://127.0.0.1:8080", "http://127.0.0.1:8081", "http://127.0.0.1:8082"],
        );
        assert.strictEqual(await output(service.httpsUrl), undefined);
        assert.strictEqual(
            await output(service.proxyConfigVersion),
            renderProxyConfig({ color: "green", host: "bluegreen-green", port: 8080 }).version,
        );
        // The mocks report no registry digest: the image ID stands for it.
        assert.deepStrictEqual(await output(service.digests), {
            blue: "sha256:bluegreen-blue-image",
            green: "sha256:bluegreen-green-image",
        });
        assert.strictEqual(await output(service.canary), "off");
        assert.strictEqual(await output(service.verification), "off");
        assert.strictEqual(await output(service.maintenance), "off");
        assert.strictEqual(await output(service.certificate), undefined);
        assert.ok(pulumi.Output.isInstance(service.engine), "the engine is an Output");
        assert.strictEqual(await output(service.engine), "docker-cli");
        assert.strictEqual(await output(proxy.url), "http://127.0.0.1:8080");
        assert.strictEqual(await output(proxy.httpsUrl), undefined);
        assert.strictEqual(await output(proxy.networkName), "bluegreen-net");
        assert.strictEqual(await output(proxy.engine), "docker-cli");
    });

    it("reports the live colour as the switch left it, and the standby from it", async () => {
        const { service } = await build({ liveColor: "blue" });
        assert.strictEqual(await output(service.liveColor), "blue");
        assert.strictEqual(await output(service.liveImage), "bluegreen-sample:1");
        assert.strictEqual(await output(service.standbyColor), "green");
        assert.strictEqual(await output(service.standbyImage), "bluegreen-sample:2");
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
        assert.strictEqual((await build({ liveColor: "blue" })).byName("bluegreen-switch").inputs.__provider, text);
        assert.doesNotMatch(text, new RegExp(REPO.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "no checkout path");
        const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-no-bin-"));
        try {
            assert.throws(
                () => loadProvider(text, elsewhere),
                /^Error: bluegreen: bin\/components\/providers\/proxySwitch\.js not found (.* )?above \/.*bluegreen-no-bin-\w+; run npm /,
            );
        } finally {
            fs.rmSync(elsewhere, { recursive: true, force: true });
        }
    });
});

describe("component arguments, validated in the constructor", () => {
    /** A Proxy on the pinned target, and the registrations it made. */
    async function proxyOnly(args: ProxyArgs = {}): Promise<Proxy> {
        reset();
        const proxy = onTarget({}, () => new Proxy("bluegreen", args));
        await output(proxy.engine);
        await output(proxy.urn);
        await drained();
        return proxy;
    }

    const BAD_APP_ARGS: [string, AppOverrides, RegExp][] = [
        [
            "healthPath",
            { healthPath: "health" },
            /^App "bluegreen": healthPath must be a URL path starting with \/.* \(got "health"\)$/,
        ],
        [
            "liveColor",
            { liveColor: "red" as never },
            /^App "bluegreen": liveColor must be one of: blue, green \(got "red"\)$/,
        ],
        ["greenImage", { greenImage: "Not An Image" }, /^App "bluegreen": greenImage must be /],
        ["bluePort", { bluePort: 70000 }, /^App "bluegreen": bluePort must be /],
        [
            "replicas",
            { replicas: 2 },
            /^App "bluegreen": replicas must be 1 with orchestrator docker \(got 2\); more replicas per colour need orchestrator swarm$/,
        ],
        [
            "greenPort (the proxy's port)",
            { greenPort: 8080 },
            /^App "bluegreen": greenPort must differ from Proxy "bluegreen": publicPort \(both are 8080\); /,
        ],
        ["canaryPercent", { canaryPercent: 101 }, /^App "bluegreen": canaryPercent must be /],
        ["maxErrorRate", { maxErrorRate: 2 }, /^App "bluegreen": maxErrorRate must be /],
        ["maintenanceMessage", { maintenanceMessage: "a;b" }, /^App "bluegreen": maintenanceMessage must be /],
        ["smokeTest", { smokeTest: "echo\nnext" }, /^App "bluegreen": smokeTest must /],
    ];
    for (const [what, bad, message] of BAD_APP_ARGS) {
        it(`a bad ${what} throws from App's constructor, naming it, before the App makes any child`, async () => {
            const proxy = await proxyOnly();
            const before = inventory();
            assert.deepStrictEqual(before, PROXY_CHILDREN);
            assert.throws(() => new App("bluegreen", { proxy, ...APP_ARGS, ...bad }), configFailure(message));
            await drained();
            // Only the component itself (registered by its base class before the check) appears.
            assert.deepStrictEqual(
                inventory().filter((r) => !before.includes(r)),
                ["bluegreen:index:App bluegreen"],
            );
        });
    }

    it("takes the same arguments as plain values without complaint (the table's baseline)", async () => {
        const proxy = await proxyOnly();
        const service = new App("bluegreen", { proxy, ...APP_ARGS });
        await settled(proxy, service);
        assert.ok(registered.some((r) => r.name === "bluegreen-switch"));
    });

    it("takes Outputs as arguments too, checked as they resolve", async () => {
        const { byName } = await build({
            liveColor: pulumi.output("blue" as const),
            healthPath: pulumi.output("/ready"),
            bluePort: pulumi.output(9001),
        });
        assert.strictEqual(byName("bluegreen-blue-health").inputs.url, "http://127.0.0.1:9001/ready");
        assert.strictEqual(byName("bluegreen-blue-health").inputs.live, true);
        assert.strictEqual(byName("bluegreen-switch").inputs.color, "blue");
    });

    it("refuses a proxy that is not a Proxy of this program", async () => {
        reset();
        assert.throws(
            () => new App("bluegreen", { proxy: { urn: "urn:pulumi:unit::bluegreen::x::y" }, ...APP_ARGS }),
            configFailure(/^App "bluegreen": proxy must be a bluegreen Proxy of this program$/),
        );
        await drained();
        assert.deepStrictEqual(inventory(), ["bluegreen:index:App bluegreen"]);
    });

    it("a Proxy whose orchestrator is bogus throws naming it, before any child or Docker query", async () => {
        reset();
        // Nothing pinned, and an engine address no query could use: a Proxy that asked Docker where to
        // run before checking its arguments would fail on DOCKER_HOST instead.
        const before = process.env.DOCKER_HOST;
        process.env.DOCKER_HOST = "bogus://nowhere";
        try {
            assert.throws(
                () => new Proxy("bluegreen", { orchestrator: "kubernetes" as never }),
                configFailure(/^Proxy "bluegreen": orchestrator must be one of: docker, swarm \(got "kubernetes"\)$/),
            );
        } finally {
            if (before === undefined) delete process.env.DOCKER_HOST;
            else process.env.DOCKER_HOST = before;
        }
        await drained();
        // Only the component itself (registered by its base class before the check) appears.
        assert.deepStrictEqual(inventory(), ["bluegreen:index:Proxy bluegreen"]);
    });

    it("a Proxy with a bad engine or port throws naming it", async () => {
        reset();
        assert.throws(
            () => onTarget({}, () => new Proxy("bluegreen", { engine: "podman" as never })),
            configFailure(
                /^Proxy "bluegreen": engine must be one of: auto, docker-cli, docker-provider \(got "podman"\)$/,
            ),
        );
        assert.throws(
            () => onTarget({}, () => new Proxy("bluegreen", { publicPort: 0 })),
            configFailure(/^Proxy "bluegreen": publicPort must be /),
        );
        assert.throws(
            () => onTarget({}, () => new Proxy("bluegreen", { httpsPort: 8080 })),
            configFailure(
                /^Proxy "bluegreen": httpsPort must differ from Proxy "bluegreen": publicPort \(both are 8080\)/,
            ),
        );
        await drained();
        assert.deepStrictEqual(
            inventory(),
            [1, 2, 3].map(() => "bluegreen:index:Proxy bluegreen"),
        );
    });
});

describe("resource graph on the docker-provider engine (mocks)", () => {
    const ON_PROVIDER = () => ({ engine: dockerProviderEngine() });
    const provider = (app: AppOverrides = {}) => build(app, {}, ON_PROVIDER());
    const inputsOf = async (name: string) => (await provider()).byName(name).inputs;

    it("creates @pulumi/docker and @pulumi/command resources from the same specs", async () => {
        await provider({ smokeTest: "curl -fsS $TARGET_URL" });
        assert.deepStrictEqual(
            inventory(),
            [
                "bluegreen:index:App bluegreen",
                "bluegreen:index:ColorSlot bluegreen-blue",
                "bluegreen:index:ColorSlot bluegreen-green",
                "bluegreen:index:Proxy bluegreen",
                "bluegreen:index:ProxyContainer bluegreen-proxy",
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
            ].sort(),
        );
        // A local engine keeps the default provider: no provider resource, none named in any request.
        assert.deepStrictEqual(
            OPTIONS.filter((o) => o.provider !== "" && o.type.startsWith("docker:")).map((o) => o.name),
            [],
        );
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
        assert.ok(dependencyNames("bluegreen-green-container").includes("bluegreen-green-image"));
    });

    it("names containers after the app, publishes colours on loopback only, restarts unless stopped", async () => {
        const green = await inputsOf("bluegreen-green-container");
        assert.strictEqual(green.name, "bluegreen-green");
        assert.deepStrictEqual(green.ports, [{ internal: 8080, external: 8082, ip: "127.0.0.1" }]);
        assert.deepStrictEqual(green.networksAdvanced, [{ name: "bluegreen-net" }]);
        assert.strictEqual(green.restart, "unless-stopped");
        assert.deepStrictEqual(green.labels, [
            { label: "io.bluegreen.managed", value: "bluegreen" },
            { label: "io.bluegreen.color", value: "green" },
            { label: "io.bluegreen.engine", value: "docker-provider" },
        ]);
        assert.strictEqual(green.uploads === undefined || (green.uploads as unknown[]).length === 0, true);
        const network = await inputsOf("bluegreen-network");
        assert.deepStrictEqual(network, {
            name: "bluegreen-net",
            labels: [{ label: "io.bluegreen.managed", value: "bluegreen" }],
        });
    });

    it("starts the proxy on the placeholder config through an upload, on the public port", async () => {
        const proxy = await inputsOf("bluegreen-proxy-container");
        assert.strictEqual(proxy.name, "bluegreen-proxy");
        assert.deepStrictEqual(proxy.ports, [
            { internal: 80, external: 8080, ip: "0.0.0.0" },
            { internal: 443, external: 8443, ip: "0.0.0.0" },
        ]);
        assert.deepStrictEqual(proxy.labels, [
            { label: "io.bluegreen.managed", value: "bluegreen" },
            { label: "io.bluegreen.role", value: "proxy" },
            { label: "io.bluegreen.engine", value: "docker-provider" },
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

    it("orders each colour: image -> container -> health check -> smoke test -> switch", async () => {
        const { service, byName } = await provider({ smokeTest: "true" });
        for (const color of ["blue", "green"]) {
            assert.deepStrictEqual(dependencyNames(`bluegreen-${color}-container`), [
                `bluegreen-${color}-image`,
                "bluegreen-network",
            ]);
            assert.deepStrictEqual(dependencyNames(`bluegreen-${color}-health`), [`bluegreen-${color}-container`]);
            const health = byName(`bluegreen-${color}-health`).inputs;
            assert.strictEqual(
                health.containerId,
                `bluegreen-${color}-container-id`,
                "the gate waits for the container",
            );
        }
        const smoke = byName("bluegreen-smoke-test").inputs;
        assert.deepStrictEqual(smoke.environment, { TARGET_URL: "http://127.0.0.1:8082", TARGET_COLOR: "green" });
        assert.strictEqual(smoke.create, "true");
        assert.strictEqual(smoke.update, "true");
        assert.deepStrictEqual(smoke.triggers, ["bluegreen-green-container-id", "true", "http://127.0.0.1:8082"]);
        const smokeDeps = dependencyNames("bluegreen-smoke-test");
        assert.ok(
            smokeDeps.includes("bluegreen-blue-health") && smokeDeps.includes("bluegreen-green-health"),
            `${smokeDeps}`,
        );
        assert.deepStrictEqual(dependencyNames("bluegreen-switch"), [
            "bluegreen-blue-health",
            "bluegreen-green-health",
            "bluegreen-proxy-container",
            "bluegreen-smoke-test",
        ]);
        assert.strictEqual(byName("bluegreen-switch").inputs.proxyContainerId, "bluegreen-proxy-container-id");
        assert.ok(pulumi.Output.isInstance(service.engine));
        assert.strictEqual(await output(service.engine), "docker-provider");
    });
});

describe("registry logins (registryAuth)", () => {
    const LOGINS = { "registry.example:5000": { username: "deploy", password: "s3cret" } };
    const APP_IMAGES = { blueImage: "registry.example:5000/web:1", greenImage: "registry.example:5000/web:2" };

    it("docker-provider: one provider for the App's logins, named after its first image, for its images and containers", async () => {
        const { byName } = await build({ ...APP_IMAGES, registryAuth: LOGINS }, {}, { engine: dockerProviderEngine() });
        const providers = registered.filter((r) => r.type === "pulumi:providers:docker");
        assert.deepStrictEqual(
            providers.map((p) => p.name),
            ["bluegreen-blue-image-docker"],
        );
        // A secret, though the logins were given as a plain value.
        assert.deepStrictEqual(providers[0].inputs.registryAuth, {
            [SIG]: SECRET_SIG,
            value: JSON.stringify([{ address: "registry.example:5000", username: "deploy", password: "s3cret" }]),
        });
        assert.strictEqual(providers[0].inputs.host, undefined, "a local engine: the provider's own default host");
        for (const name of [
            "bluegreen-blue-image",
            "bluegreen-green-image",
            "bluegreen-blue-container",
            "bluegreen-green-container",
        ]) {
            assert.match(optionsOf(name).provider, /::bluegreen-blue-image-docker::/, name);
        }
        // The proxy's image needs no login: it stays on the default provider.
        for (const name of ["bluegreen-proxy-image", "bluegreen-proxy-container", "bluegreen-network"]) {
            assert.strictEqual(optionsOf(name).provider, "", name);
        }
        assert.strictEqual(byName("bluegreen-blue-image").inputs.name, "registry.example:5000/web:1");
    });

    it("docker-provider: the Proxy's logins get a provider of their own, named after nginx's image", async () => {
        await build(
            {},
            { image: "registry.example:5000/nginx:1.28.0", registryAuth: LOGINS },
            { engine: dockerProviderEngine() },
        );
        const providers = registered.filter((r) => r.type === "pulumi:providers:docker").map((p) => p.name);
        assert.deepStrictEqual(providers, ["bluegreen-proxy-image-docker"]);
        for (const name of ["bluegreen-proxy-image", "bluegreen-proxy-container"]) {
            assert.match(optionsOf(name).provider, /::bluegreen-proxy-image-docker::/, name);
        }
        for (const name of ["bluegreen-blue-image", "bluegreen-green-container", "bluegreen-network"]) {
            assert.strictEqual(optionsOf(name).provider, "", name);
        }
    });

    it("docker-cli: each image pulls with its own component's logins, as a secret", async () => {
        const { byName } = await build({ ...APP_IMAGES, registryAuth: LOGINS });
        for (const color of ["blue", "green"]) {
            // A secret, though the logins were given as a plain value.
            assert.deepStrictEqual(
                byName(`bluegreen-${color}-image`).inputs.registryAuth,
                { [SIG]: SECRET_SIG, value: LOGINS },
                color,
            );
        }
        assert.strictEqual(byName("bluegreen-proxy-image").inputs.registryAuth, undefined);
    });
});

describe("resource graph with a canary (canaryPercent)", () => {
    it("gates the switch on both colours, makes the idle colour's gate pass, and routes the share to it", async () => {
        const { service, byName } = await build({ canaryPercent: 10 });
        assert.deepStrictEqual(
            dependencyNames("bluegreen-switch").filter((n) => n.endsWith("-health")),
            ["bluegreen-blue-health", "bluegreen-green-health"],
        );
        assert.strictEqual(byName("bluegreen-blue-health").inputs.live, true, "the canary's gate must pass");
        assert.strictEqual(byName("bluegreen-green-health").inputs.live, true);
        assert.deepStrictEqual(byName("bluegreen-switch").inputs.canary, {
            percent: 10,
            color: "blue",
            host: "bluegreen-blue",
        });
        assert.strictEqual(byName("bluegreen-switch").inputs.color, "green", "green stays live");
        assert.strictEqual(byName("bluegreen-guard").inputs.canaryPercent, 10);
        assert.strictEqual(await output(service.canary), "10% of clients to blue");
        const none = await build();
        assert.strictEqual(none.byName("bluegreen-guard").inputs.canaryPercent, undefined, "no new input without one");
        assert.strictEqual(none.byName("bluegreen-blue-health").inputs.live, false);
        assert.strictEqual(none.byName("bluegreen-switch").inputs.canary, undefined);
    });

    it("smoke tests the canary's colour, the one about to take traffic", async () => {
        const { byName } = await build({ canaryPercent: 25, smokeTest: "true" });
        const smoke = byName("bluegreen-smoke-test").inputs;
        assert.strictEqual(smoke.color, "blue");
        assert.strictEqual(smoke.targetUrl, "http://127.0.0.1:8081");
        assert.strictEqual(smoke.containerId, "bluegreen-blue-container-cid");
    });
});

describe("resource graph with verification (verifySeconds)", () => {
    it("gives the switch the thresholds and both images, and renders the answers log into its config", async () => {
        const { service, byName } = await build({ verifySeconds: 30, maxErrorRate: 0.05, maxP99Ms: 250 });
        const inputs = byName("bluegreen-switch").inputs;
        assert.deepStrictEqual(inputs.verification, {
            seconds: 30,
            maxErrorRate: 0.05,
            minRequests: 20,
            maxP99Ms: 250,
            images: { blue: "bluegreen-sample:1", green: "bluegreen-sample:2" },
        });
        assert.strictEqual(await output(service.verification), "not yet (no switch since it was turned on)");
        const off = (await build()).byName("bluegreen-switch").inputs;
        assert.strictEqual(off.verification, undefined, "no new input while it is off");
        assert.notStrictEqual(inputs.configVersion, off.configVersion, "the log is part of the config");
        assert.strictEqual(
            inputs.configVersion,
            renderProxyConfig({ color: "green", host: "bluegreen-green", port: 8080 }, undefined, { verify: true })
                .version,
        );
    });
});

describe("resource graph in maintenance", () => {
    it("gives the switch the page and the health path, and reports it on", async () => {
        const { service, byName } = await build({ maintenance: true, maintenanceMessage: "Back at 5." });
        assert.deepStrictEqual(byName("bluegreen-switch").inputs.maintenance, {
            message: "Back at 5.",
            healthPath: "/health",
        });
        assert.strictEqual(await output(service.maintenance), "on");
    });
});

describe("resource graph with ACME (tlsAcmeEmail)", () => {
    const ACME: ProxyArgs = {
        tlsAcmeEmail: "ops@example.com",
        tlsHostnames: ["app.example.com", "www.example.com"],
        tlsAcmeDirectory: "https://acme.example:14000/dir",
    };
    for (const e of [
        { engine: "docker-cli", make: () => dockerCliEngine(), type: "pulumi-nodejs:dynamic:Resource" },
        { engine: "docker-provider", make: () => dockerProviderEngine(), type: "docker:index/container:Container" },
    ]) {
        it(`${e.engine}: runs the agent in the proxy's namespaces, gating the switch before and after`, async () => {
            const { proxy, service, byName } = await build({}, ACME, { engine: e.make() });
            const agent = byName("bluegreen-acme-container");
            assert.strictEqual(agent.type, e.type);
            assert.strictEqual(agent.inputs.name, "bluegreen-acme");
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
                assert.deepStrictEqual(agent.inputs.volumes, [{ name: "bluegreen-acme", path: "/acme" }]);
            } else {
                assert.strictEqual(agent.inputs.networkMode, "container:bluegreen-proxy-container-id");
                assert.strictEqual(agent.inputs.pidMode, "container:bluegreen-proxy-container-id");
                assert.deepStrictEqual(agent.inputs.volumes, [
                    { volumeName: "bluegreen-acme", containerPath: "/acme" },
                ]);
                assert.deepStrictEqual(agent.inputs.ports, []);
            }
            // The agent is the Proxy's: made with nginx's container, before any App.
            assert.strictEqual(
                parentOf("bluegreen-acme", "bluegreen:index:AcmeAgent"),
                "bluegreen:index:Proxy bluegreen",
            );
            assert.deepStrictEqual(
                dependencyNames("bluegreen-acme", "bluegreen:index:AcmeAgent"),
                ["bluegreen-proxy-container", "bluegreen-proxy-image"],
                "after nginx's container",
            );
            assert.deepStrictEqual(dependencyNames("bluegreen-acme-ready"), ["bluegreen-acme-container"]);
            assert.ok(dependencyNames("bluegreen-switch").includes("bluegreen-acme-ready"), "ready before the switch");
            assert.ok(dependencyNames("bluegreen-acme-issued").includes("bluegreen-switch"), "issued after it");
            for (const gate of ["ready", "issued"]) {
                const inputs = byName(`bluegreen-acme-${gate}`).inputs;
                assert.strictEqual(inputs.wait, gate);
                assert.strictEqual(inputs.container, "bluegreen-acme");
                assert.deepStrictEqual(inputs.domains, ["app.example.com", "www.example.com"]);
                assert.strictEqual(loadProvider(inputs.__provider, REPO), acmeGateProvider, gate);
            }
            const tls = byName("bluegreen-switch").inputs.tls as Record<string, unknown>;
            assert.deepStrictEqual(tls, {
                certificate: "/etc/nginx/bluegreen-acme/bundle.pem",
                key: "/etc/nginx/bluegreen-acme/bundle.pem",
                acmeChallenge: "127.0.0.1:8402",
                redirect: true,
                httpsPort: 8443,
            });
            assert.strictEqual(revealed(byName("bluegreen-switch").inputs.tlsKey), undefined, "no key from config");
            assert.strictEqual(byName("bluegreen-switch").inputs.tlsCertificate, undefined, "no certificate either");
            assert.strictEqual(await output(service.httpsUrl), "https://127.0.0.1:8443");
            assert.strictEqual(await output(proxy.httpsUrl), "https://127.0.0.1:8443");
            const certificate = await output(service.certificate);
            assert.deepStrictEqual(certificate?.names, ["app.example.com", "www.example.com"]);
        });
    }

    it("has no agent without tlsAcmeEmail", async () => {
        await build();
        assert.ok(!registered.some((r) => r.name.startsWith("bluegreen-acme")));
        assert.ok(!dependencyNames("bluegreen-switch").some((n) => n.startsWith("bluegreen-acme")));
    });
});

describe("resource graph on a remote engine (DOCKER_HOST=ssh://…)", () => {
    const REMOTE = siteOf("ssh://deploy@203.0.113.7:2222");

    for (const e of [
        { engine: "docker-cli", make: () => dockerCliEngine() },
        { engine: "docker-provider", make: () => dockerProviderEngine(undefined, REMOTE) },
    ]) {
        it(`${e.engine}: gates each colour from inside the proxy, by its name on the app's network`, async () => {
            const { byName } = await build({}, {}, { engine: e.make(), site: REMOTE });
            for (const color of ["blue", "green"]) {
                const health = byName(`bluegreen-${color}-health`).inputs;
                assert.strictEqual(health.url, `http://bluegreen-${color}:8080/health`);
                assert.deepStrictEqual(health.probeFrom, { name: "bluegreen-proxy" });
                const deps = dependencyNames(`bluegreen-${color}-health`);
                assert.ok(
                    deps.includes("bluegreen-proxy-container"),
                    `${color}'s gate waits for the proxy's container: ${deps.join(", ")}`,
                );
            }
        });

        it(`${e.engine}: confirms the switch and guards the release on nginx's own listener, from inside it`, async () => {
            const { byName } = await build({}, {}, { engine: e.make(), site: REMOTE });
            for (const name of ["bluegreen-switch", "bluegreen-guard"]) {
                assert.strictEqual(byName(name).inputs.publicUrl, "http://127.0.0.1:80", name);
                assert.deepStrictEqual(byName(name).inputs.probeFrom, { name: "bluegreen-proxy" }, name);
            }
        });
    }

    it("opens the smoke test's TARGET_URL through an ssh tunnel to the live colour's port, on both engines", async () => {
        for (const engine of [dockerCliEngine(), dockerProviderEngine(undefined, REMOTE)]) {
            const { byName } = await build({ smokeTest: "curl -fsS $TARGET_URL" }, {}, { engine, site: REMOTE });
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
        assert.ok(
            !dependencyNames("bluegreen-green-health").includes("bluegreen-proxy-container"),
            "no wait for the proxy",
        );
    });

    it("docker-provider puts every docker resource on one provider with the engine's host and shared-connection ssh options", async () => {
        await build({}, {}, { engine: dockerProviderEngine(undefined, REMOTE), site: REMOTE });
        const provider = registered.filter((r) => r.type === "pulumi:providers:docker");
        assert.strictEqual(provider.length, 1);
        // Named after the first resource that needs it (the Proxy's network), and the Proxy's child.
        assert.strictEqual(provider[0].name, "bluegreen-network-docker");
        assert.strictEqual(parentOf("bluegreen-network-docker"), "bluegreen:index:Proxy bluegreen");
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
        assert.deepStrictEqual(docker.map((o) => o.name).sort(), [
            "bluegreen-blue-container",
            "bluegreen-blue-image",
            "bluegreen-green-container",
            "bluegreen-green-image",
            "bluegreen-network",
            "bluegreen-proxy-container",
            "bluegreen-proxy-image",
        ]);
        for (const o of docker) {
            assert.match(o.provider, /::bluegreen-network-docker::/, `${o.name} is on the explicit provider`);
        }
    });

    it("docker-provider with logins on a remote engine: the logins' provider has the engine's host too", async () => {
        await build(
            { registryAuth: { "registry.example:5000": { username: "u", password: "p" } } },
            {},
            { engine: dockerProviderEngine(undefined, REMOTE), site: REMOTE },
        );
        const providers = registered.filter((r) => r.type === "pulumi:providers:docker");
        assert.deepStrictEqual(providers.map((p) => p.name).sort(), [
            "bluegreen-blue-image-docker",
            "bluegreen-network-docker",
        ]);
        for (const p of providers) {
            assert.strictEqual(p.inputs.host, "ssh://deploy@203.0.113.7:2222", p.name);
        }
        assert.match(optionsOf("bluegreen-green-container").provider, /::bluegreen-blue-image-docker::/);
        assert.match(optionsOf("bluegreen-proxy-container").provider, /::bluegreen-network-docker::/);
    });
});

describe("swarm resource graph", () => {
    const SWARM: SwarmTarget = { managerNodeId: "mgr1" };
    const PROXY: ProxyArgs = { orchestrator: "swarm" };
    const APP: AppOverrides = { replicas: 3, liveColor: "blue" };
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
            make: () => dockerCliEngine(SWARM),
            serviceType: "pulumi-nodejs:dynamic:Resource",
            view: cliView,
            proxyRevision: "bluegreen-proxy-service-sid",
            colorRevision: (color: string) => `bluegreen-${color}-service-sid/sha256:bluegreen-${color}-image/3`,
            /** The docker-provider engine marks what it made; the CLI's resources carry no such label. */
            engineLabel: {},
        },
        {
            engine: "docker-provider",
            make: () => dockerProviderEngine(SWARM),
            serviceType: "docker:index/service:Service",
            view: providerView,
            proxyRevision: "bluegreen-proxy-service-id",
            colorRevision: (color: string) => `bluegreen-${color}-service-id/sha256:bluegreen-${color}-image/3`,
            engineLabel: { "io.bluegreen.engine": "docker-provider" },
        },
    ];

    for (const e of ENGINES) {
        describe(`on the ${e.engine} engine`, () => {
            const swarmBuild = (overrides: AppOverrides = {}) =>
                build({ ...APP, ...overrides }, PROXY, { engine: e.make() });
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
                        "bluegreen:index:App bluegreen",
                        "bluegreen:index:Proxy bluegreen",
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
                    assert.strictEqual(volume?.inputs.name, "bluegreen-proxy-files");
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
                    assert.strictEqual(network.inputs.name, "bluegreen-net");
                } else {
                    assert.strictEqual(network.type, "docker:index/network:Network");
                    assert.deepStrictEqual(network.inputs, {
                        name: "bluegreen-net",
                        labels: [{ label: "io.bluegreen.managed", value: "bluegreen" }],
                        driver: "overlay",
                        attachable: true,
                    });
                }
            });

            it("runs each colour as 3 unpinned replicas by DNS round-robin, publishing no port", async () => {
                for (const color of ["blue", "green"]) {
                    const s = await serviceOf(`bluegreen-${color}-service`);
                    assert.strictEqual(s.name, `bluegreen-${color}`);
                    assert.strictEqual(s.image, color === "blue" ? "bluegreen-sample:1" : "bluegreen-sample:2");
                    assert.strictEqual(s.network, "bluegreen-net");
                    assert.strictEqual(s.replicas, 3, color);
                    assert.strictEqual(s.endpointMode, "dnsrr", color);
                    assert.deepStrictEqual(s.publish, [], `${color} publishes nothing`);
                    assert.deepStrictEqual(s.constraints, [], `${color} is not pinned`);
                    assert.deepStrictEqual(s.mounts, []);
                    assert.deepStrictEqual(s.command, [], "the image's own command");
                    assert.deepStrictEqual(s.env, {});
                    assert.deepStrictEqual(s.labels, {
                        "io.bluegreen.managed": "bluegreen",
                        "io.bluegreen.color": color,
                        ...e.engineLabel,
                    });
                }
            });

            it("runs the proxy as one task pinned to the manager, publishing its ports in host mode", async () => {
                const s = await serviceOf("bluegreen-proxy-service");
                assert.strictEqual(s.name, "bluegreen-proxy");
                assert.strictEqual(s.image, "nginx:1.28.0");
                assert.strictEqual(s.network, "bluegreen-net");
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
                    "io.bluegreen.managed": "bluegreen",
                    "io.bluegreen.role": "proxy",
                    ...e.engineLabel,
                });
            });

            it("seeds the proxy's files volume with the placeholder config before nginx starts", async () => {
                const s = await serviceOf("bluegreen-proxy-service");
                assert.deepStrictEqual(s.mounts, [`type=volume,source=bluegreen-proxy-files,target=${CONF_DIR}`]);
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
                assert.strictEqual(seed, renderPlaceholderConfig(swarmRouting("bluegreen"), 8080).text);
            });

            it("gates each colour on every replica, probed from the proxy's task once it runs", async () => {
                const { byName } = await swarmBuild();
                for (const color of ["blue", "green"]) {
                    const health = byName(`bluegreen-${color}-health`).inputs;
                    assert.deepStrictEqual(health.replicaSet, {
                        service: `bluegreen-${color}`,
                        network: "bluegreen-net",
                        probeFrom: "bluegreen-proxy",
                        port: 8080,
                        path: "/health",
                        replicas: 3,
                    });
                    assert.strictEqual(health.url, `http://tasks.bluegreen-${color}:8080/health`);
                    assert.strictEqual(health.containerId, e.colorRevision(color), "re-runs for new replicas");
                    assert.strictEqual(health.live, color === "blue");
                    const deps = dependencyNames(`bluegreen-${color}-health`);
                    assert.ok(deps.includes("bluegreen-proxy-service"), `${color} health waits for the proxy: ${deps}`);
                    assert.ok(deps.includes(`bluegreen-${color}-service`), `${color} health waits for its service`);
                }
            });

            it("switches the proxy service's config file to tasks.<app>-<live> after both gates", async () => {
                const { service, byName } = await swarmBuild();
                const sw = byName("bluegreen-switch").inputs;
                assert.strictEqual(sw.proxyIsService, true);
                assert.strictEqual(sw.confPath, CONF);
                assert.strictEqual(sw.proxyContainer, "bluegreen-proxy");
                assert.strictEqual(sw.proxyContainerId, e.proxyRevision);
                assert.strictEqual(sw.color, "blue");
                assert.strictEqual(sw.host, "tasks.bluegreen-blue");
                assert.strictEqual(sw.port, 8080);
                assert.deepStrictEqual(sw.swarm, swarmRouting("bluegreen"));
                assert.strictEqual(
                    sw.configVersion,
                    renderProxyConfig(
                        { color: "blue", host: "tasks.bluegreen-blue", port: 8080 },
                        swarmRouting("bluegreen"),
                    ).version,
                );
                // Both gates: the live one's fails the update, the standby's only records.
                assert.deepStrictEqual(dependencyNames("bluegreen-switch"), [
                    "bluegreen-blue-health",
                    "bluegreen-green-health",
                    "bluegreen-proxy-service",
                ]);
                assert.deepStrictEqual(
                    await Promise.all([output(service.url), output(service.blueUrl), output(service.greenUrl)]),
                    ["http://127.0.0.1:8080", "http://127.0.0.1:8081", "http://127.0.0.1:8082"],
                );
                assert.strictEqual(await output(service.engine), e.engine);
            });
        });
    }

    it("docker-provider replaces services old-first (fixed names)", async () => {
        await build(APP, PROXY, { engine: dockerProviderEngine(SWARM) });
        const services = OPTIONS.filter((o) => o.type === "docker:index/service:Service");
        assert.strictEqual(services.length, 3);
        for (const o of services) {
            assert.strictEqual(o.deleteBeforeReplace, true, o.name);
        }
    });

    it("gives the SwarmService a provider text that loads its provider", async () => {
        const { byName } = await build(APP, PROXY, { engine: dockerCliEngine(SWARM) });
        const text = byName("bluegreen-proxy-service").inputs.__provider;
        assert.strictEqual(loadProvider(text, REPO), swarmServiceProvider);
    });

    it("makes nginx's service for the App that attaches, named from the Proxy, its child", async () => {
        await build(APP, PROXY, { engine: dockerCliEngine(SWARM) });
        assert.strictEqual(
            parentOf("bluegreen-proxy", "bluegreen:index:SwarmProxy"),
            "bluegreen:index:Proxy bluegreen",
        );
        assert.strictEqual(parentOf("bluegreen-proxy-service"), "bluegreen:index:SwarmProxy bluegreen-proxy");
        assert.strictEqual(
            parentOf("bluegreen-blue", "bluegreen:index:SwarmColorSlot"),
            "bluegreen:index:App bluegreen",
        );
        assert.deepStrictEqual(dependencyNames("bluegreen-blue", "bluegreen:index:SwarmColorSlot"), [
            "bluegreen-guard",
        ]);
    });

    it("names the app's services and preview routes after the App, nginx's after the Proxy", async () => {
        reset();
        const { proxy, app } = onTarget({ engine: dockerCliEngine(SWARM) }, () => {
            const proxy = new Proxy("edge", PROXY);
            return { proxy, app: new App("shop", { proxy, ...APP_ARGS, ...APP }) };
        });
        await settled(proxy, app);
        const inputs = (name: string) => registered.find((r) => r.name === name)!.inputs;
        assert.strictEqual(inputs("edge-proxy-service").name, "edge-proxy");
        assert.strictEqual(inputs("edge-network").name, "edge-net");
        assert.strictEqual(inputs("shop-blue-service").name, "shop-blue");
        assert.strictEqual(inputs("shop-blue-service").network, "edge-net");
        assert.deepStrictEqual(inputs("shop-blue-service").labels, {
            "io.bluegreen.managed": "shop",
            "io.bluegreen.color": "blue",
        });
        const seed = Buffer.from(
            (inputs("edge-proxy-service").env as Record<string, string>).BLUEGREEN_SEED_0,
            "base64",
        );
        assert.strictEqual(seed.toString("utf8"), renderPlaceholderConfig(swarmRouting("shop"), 8080).text);
        const sw = inputs("shop-switch");
        assert.strictEqual(sw.proxyContainer, "edge-proxy");
        assert.strictEqual(sw.host, "tasks.shop-blue");
        assert.deepStrictEqual(sw.swarm, swarmRouting("shop"));
        assert.deepStrictEqual(
            (inputs("shop-green-health").replicaSet as { probeFrom: string }).probeFrom,
            "edge-proxy",
        );
    });

    it("serves one App per Proxy on a swarm: a second App is refused before any child, naming both", async () => {
        reset();
        const proxy = onTarget(
            { engine: dockerCliEngine(SWARM) },
            () => new Proxy("bluegreen", { ...PROXY, orchestrator: "swarm" }),
        );
        const first = new App("bluegreen", { proxy, ...APP_ARGS, ...APP });
        assert.throws(
            () => new App("other", { proxy, ...APP_ARGS, ...APP }),
            configFailure(
                /^App "other": the Proxy "bluegreen" already serves the App "bluegreen"; on a swarm, give each App a Proxy of its own \(apps sharing a swarm's proxy are not supported yet\)$/,
            ),
        );
        await settled(proxy, first);
        await drained();
        const made = registered.map((r) => r.name);
        for (const name of ["other-guard", "other-blue", "other-green", "other-switch", "other-proxy"]) {
            assert.ok(!made.some((n) => n.startsWith(name)), `no ${name}: ${made.join(", ")}`);
        }
        assert.strictEqual(made.filter((n) => n === "bluegreen-proxy-service").length, 1, "one nginx");
    });
});

describe("several apps on one Proxy (mocks)", () => {
    const inputs = (name: string) => registered.find((r) => r.name === name)!.inputs;

    it("wires each app's switch with its routes, one after the other, behind one nginx", async () => {
        reset();
        const { proxy, web, api } = onTarget({}, () => {
            const proxy = new Proxy("edge", {});
            const web = new App("web", { proxy, ...APP_ARGS });
            const api = new App("api", {
                proxy,
                ...APP_ARGS,
                liveColor: "blue",
                hosts: ["api.example.com", "*.api.example.com"],
                pathPrefix: "/v1",
                bluePort: 8083,
                greenPort: 8084,
            });
            return { proxy, web, api };
        });
        await settled(proxy, web);
        await settled(proxy, api);
        const sw = inputs("api-switch");
        assert.strictEqual(sw.app, "api");
        assert.deepStrictEqual(sw.route, {
            hosts: ["api.example.com", "*.api.example.com"],
            pathPrefix: "/v1",
            stripPathPrefix: true,
        });
        assert.strictEqual(sw.host, "api-blue");
        assert.strictEqual(sw.publicUrl, "http://127.0.0.1:8080/v1");
        assert.strictEqual(inputs("api-guard").hostHeader, "api.example.com");
        // The default app shares the proxy too: it records its routes.
        assert.deepStrictEqual(inputs("web-switch").route, { hosts: [], pathPrefix: "/", stripPathPrefix: true });
        assert.strictEqual(
            sw.configVersion,
            recordVersion({
                app: "api",
                target: { color: "blue", host: "api-blue", port: 8080 },
                edge: {},
                route: sw.route as AppRoute,
            }),
        );
        assert.ok(dependencyNames("api-switch").includes("web-switch"), "api's switch waits for web's");
        assert.ok(!dependencyNames("web-switch").includes("api-switch"));
        assert.strictEqual(await output(api.url), "http://127.0.0.1:8080/v1");
        assert.strictEqual(registered.filter((r) => r.name === "edge-proxy-container").length, 1, "one nginx");
    });

    it("keeps an app alone on its proxy as before: no app or route among its switch's inputs", async () => {
        const { byName } = await build();
        const sw = byName("bluegreen-switch").inputs;
        assert.strictEqual(sw.app, undefined);
        assert.strictEqual(sw.route, undefined);
        assert.strictEqual(sw.publicUrl, "http://127.0.0.1:8080");
    });

    it("refuses two default apps before any child, naming both", async () => {
        reset();
        const proxy = onTarget({}, () => new Proxy("edge", {}));
        const web = new App("web", { proxy, ...APP_ARGS });
        assert.throws(
            () => new App("other", { proxy, ...APP_ARGS, bluePort: 8083, greenPort: 8084 }),
            configFailure(
                /^Proxy "edge": App "web" and App "other" both claim no host: at most one app may be the default \(give the others hosts\)$/,
            ),
        );
        await settled(proxy, web);
        await drained();
        assert.ok(!registered.some((r) => r.name.startsWith("other-")), "no child of the refused app");
    });

    it("refuses the same host and prefix twice, naming both apps", () => {
        reset();
        const proxy = onTarget({}, () => new Proxy("edge", {}));
        new App("a", { proxy, ...APP_ARGS, hosts: ["shop.example.com"], pathPrefix: "/api" });
        assert.throws(
            () =>
                new App("b", { proxy, ...APP_ARGS, hosts: ["x.example.com", "shop.example.com"], pathPrefix: "/api" }),
            configFailure(
                /^Proxy "edge": App "a" and App "b" both claim shop.example.com with path prefix \/api: one app per host and prefix$/,
            ),
        );
    });

    it("gives an app that shares its proxy its canary and verification window", async () => {
        reset();
        const { proxy, app } = onTarget({}, () => {
            const proxy = new Proxy("edge", {});
            return {
                proxy,
                app: new App("a", {
                    proxy,
                    ...APP_ARGS,
                    hosts: ["a.example.com"],
                    canaryPercent: 10,
                    verifySeconds: 5,
                }),
            };
        });
        await settled(proxy, app);
        const sw = inputs("a-switch");
        assert.deepStrictEqual(sw.canary, { percent: 10, color: "blue", host: "a-blue" });
        assert.strictEqual((sw.verification as { seconds: number }).seconds, 5);
        assert.strictEqual(sw.app, "a");
        assert.strictEqual(await output(app.canary), "10% of clients to blue");
    });

    it("refuses a malformed host or prefix in one line naming the argument", () => {
        reset();
        const proxy = onTarget({}, () => new Proxy("edge", {}));
        assert.throws(
            () => new App("a", { proxy, ...APP_ARGS, hosts: ["Bad_Host"] }),
            configFailure(/^App "a": hosts must be lower-case DNS names/),
        );
        assert.throws(
            () => new App("b", { proxy, ...APP_ARGS, pathPrefix: "/api/" }),
            configFailure(/^App "b": pathPrefix must be \/ or a path like \/api\/v1/),
        );
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

    const labels = [{ label: "io.bluegreen.managed", value: "bluegreen" }];
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
                const args = { name: "bluegreen-net", labels, driver: "overlay", attachable: true };
                return make === "ours" ? packaged.network(name, args, {}) : new docker.Network(name, args);
            },
        ],
        [
            "container with files, ports and options",
            (make, name) => {
                const args = {
                    name: "bluegreen-blue",
                    image: "sha256:abc",
                    networksAdvanced: [{ name: "bluegreen-net" }],
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
                const args = { name: "bluegreen-proxy-files", labels };
                return make === "ours" ? packaged.volume(name, args, {}) : new docker.Volume(name, args);
            },
        ],
        [
            "service",
            (make, name) => {
                const args = {
                    name: "bluegreen-blue",
                    labels,
                    mode: { replicated: { replicas: 2 } },
                    endpointSpec: {
                        mode: "dnsrr",
                        ports: [{ targetPort: 80, publishedPort: 8080, publishMode: "host" }],
                    },
                    taskSpec: {
                        containerSpec: { image: "bluegreen-sample:1", commands: ["sh", "-c", "x"], env: { A: "1" } },
                        networksAdvanceds: [{ name: "bluegreen-net" }],
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
            "for (const m of ['index', 'app', 'proxy', 'program/stackConfig', 'program/previousLayout', 'engines/select', 'engines/dockerCli', 'engines/dockerProvider']) require('./bin/components/' + m);",
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
