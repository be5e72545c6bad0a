// Run as a script: builds one stack program's resource graph under Pulumi mocks and prints every
// registration (type, name, parent URN, alias specs) as JSON. `node graphUrns.js <old|new> <repo>
// <variant>`: `old` builds the previous main's BlueGreenService from `<repo>/bin`, `new` this
// checkout's Proxy and App with index.ts's aliases. Each side runs in a process of its own (mocks
// are global). test/library/aliases.test.ts compares the two.
import * as path from "path";

export interface Registration {
    readonly type: string;
    readonly name: string;
    readonly parent: string;
    readonly custom: boolean;
    readonly aliases: { name?: string; type?: string; parentUrn?: string; noParent?: boolean }[];
}

/** The settings and where the containers run, per variant (config values as strings). */
export const VARIANTS: Record<string, { config: Record<string, string>; engine: string; remote?: boolean }> = {
    "docker-cli": { config: {}, engine: "docker-cli" },
    "docker-provider": { config: {}, engine: "docker-provider" },
    "docker-provider over ssh": { config: {}, engine: "docker-provider", remote: true },
    "docker-cli over ssh with a smoke test": { config: { smokeTest: "true" }, engine: "docker-cli", remote: true },
    "docker-provider with registry logins": {
        config: { registryAuth: '{"127.0.0.1:5000":{"username":"u","password":"p"}}' },
        engine: "docker-provider",
    },
    "docker-cli with registry logins": {
        config: { registryAuth: '{"127.0.0.1:5000":{"username":"u","password":"p"}}' },
        engine: "docker-cli",
    },
    "docker-provider with ACME": {
        config: { tlsAcmeEmail: "ops@example.com", tlsHostnames: "app.example.com" },
        engine: "docker-provider",
    },
    "docker-cli with ACME, a canary and verification": {
        config: {
            tlsAcmeEmail: "ops@example.com",
            tlsHostnames: "app.example.com",
            canaryPercent: "10",
            verifySeconds: "30",
        },
        engine: "docker-cli",
    },
    "docker-cli on a swarm": { config: { orchestrator: "swarm", replicas: "2" }, engine: "docker-cli" },
    "docker-provider on a swarm with logins and a smoke test": {
        config: {
            orchestrator: "swarm",
            replicas: "2",
            smokeTest: "true",
            registryAuth: '{"127.0.0.1:5000":{"username":"u","password":"p"}}',
        },
        engine: "docker-provider",
    },
};

const STACK = "dev";
const BASE: Record<string, string> = {
    liveColor: "green",
    blueImage: "bluegreen-sample:1",
    greenImage: "bluegreen-sample:2",
    proxyImage: "bluegreen-nginx:local",
};

async function main(side: string, repo: string, variantName: string): Promise<void> {
    const pulumi = require(path.join(repo, "node_modules/@pulumi/pulumi")) as typeof import("@pulumi/pulumi");
    const variant = VARIANTS[variantName];
    const values: Record<string, string> = { ...BASE, ...variant.config };
    pulumi.runtime.setMocks(
        {
            newResource: (args) => ({
                id: `${args.name}-id`,
                state: {
                    ...args.inputs,
                    containerId: `${args.name}-cid`,
                    serviceId: `${args.name}-sid`,
                    imageId: `sha256:${args.name}`,
                    repoDigest: "",
                    color: values.liveColor,
                    configVersion: "0123456789ab",
                },
            }),
            call: () => ({}),
        },
        "bluegreen",
        STACK,
        false,
    );
    const registrations: Registration[] = [];
    type Request = {
        getType(): string;
        getName(): string;
        getParent(): string;
        getCustom(): boolean;
        getAliasesList(): { getSpec(): { toObject(): Registration["aliases"][number] } | undefined }[];
    };
    const settingsModule = require(path.join(repo, "node_modules/@pulumi/pulumi/runtime/settings")) as {
        getMonitor(): { registerResource(req: Request, cb: unknown): unknown };
    };
    const monitor = settingsModule.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        registrations.push({
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            custom: req.getCustom(),
            aliases: req
                .getAliasesList()
                .map((a) => a.getSpec()?.toObject())
                .filter((a): a is Registration["aliases"][number] => a !== undefined),
        });
        return register(req, cb);
    };
    const site = variant.remote ? "ssh://deploy@app-host" : undefined;
    const swarm = values.orchestrator === "swarm" ? { managerNodeId: "mgr1" } : undefined;
    const bin = path.join(repo, "bin/components");
    if (side === "old") {
        const { parseSettings } = require(path.join(bin, "config")) as {
            parseSettings(read: (k: string) => string | undefined): { registryAuth?: object };
        };
        const { siteOf } = require(path.join(bin, "site")) as { siteOf(a?: string): object };
        const settings = parseSettings((k) => values[k]);
        const auth = settings.registryAuth === undefined ? undefined : pulumi.secret(settings.registryAuth);
        const engine =
            variant.engine === "docker-cli"
                ? (
                      require(path.join(bin, "engines/dockerCli")) as {
                          dockerCliEngine: (...args: unknown[]) => unknown;
                      }
                  ).dockerCliEngine(auth, swarm)
                : (
                      require(path.join(bin, "engines/dockerProvider")) as {
                          dockerProviderEngine: (...args: unknown[]) => unknown;
                      }
                  ).dockerProviderEngine(auth, swarm, siteOf(site));
        const { BlueGreenService } = require(path.join(bin, "service")) as {
            BlueGreenService: new (...a: unknown[]) => unknown;
        };
        new BlueGreenService("bluegreen", { stack: STACK, settings, engine, site: siteOf(site) });
    } else {
        const { parseStack } = require(path.join(bin, "core/config")) as typeof import("../../components/core/config");
        const { siteOf } = require(path.join(bin, "core/site")) as typeof import("../../components/core/site");
        const { pinTarget } = require(
            path.join(bin, "engines/select"),
        ) as typeof import("../../components/engines/select");
        const { stackArgs } = require(
            path.join(bin, "program/stackConfig"),
        ) as typeof import("../../components/program/stackConfig");
        const layout = require(
            path.join(bin, "program/previousLayout"),
        ) as typeof import("../../components/program/previousLayout");
        const { App, Proxy } = require(bin) as typeof import("../../components");
        const engine =
            variant.engine === "docker-cli"
                ? (
                      require(
                          path.join(bin, "engines/dockerCli"),
                      ) as typeof import("../../components/engines/dockerCli")
                  ).dockerCliEngine(swarm)
                : (
                      require(
                          path.join(bin, "engines/dockerProvider"),
                      ) as typeof import("../../components/engines/dockerProvider")
                  ).dockerProviderEngine(swarm, siteOf(site));
        pinTarget({ engine, site: siteOf(site) });
        const settings = parseStack((k) => values[k]);
        const args = stackArgs(settings, (k) => values[k]);
        // As index.ts builds them.
        const proxy = new Proxy(STACK, args.proxy, { transformations: [layout.previousProxyChildren(STACK)] });
        new App(STACK, { proxy, ...args.app! }, { aliases: layout.previousApp() });
    }
    // Let every registration (and the outputs it waits for) happen.
    for (let i = 0; i < 50; i++) {
        await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.stdout.write(JSON.stringify(registrations));
}

if (require.main === module) {
    const [side, repo, variant] = process.argv.slice(2);
    main(side, repo, variant).catch((err: Error) => {
        console.error(err.stack);
        process.exit(1);
    });
}
