// The stack program's config (index.ts): `bluegreen:<key>` values -> validated settings of one proxy
// and one app. Pure: no Pulumi, no I/O, so every rule has a plain test. The helpers (scripts/) read
// stack settings through the same parser.
import { APP_DEFAULTS, AppSettings, parseAppSettings } from "./appSettings";
import { parseProxySettings, PROXY_DEFAULTS, ProxySettings } from "./proxySettings";
import { ConfigError } from "./configError";
import { routeConflict } from "./routing";
import { parseStackApps } from "./stackApps";
import { configSubject, SettingReader } from "./subject";
import { type RegistryLogins, validateDockerName, validateRegistryAuth } from "./validate";

/** Config keys that name a proxy argument differently (the Proxy's `image` is `proxyImage`). */
export const PROXY_CONFIG_KEYS: Readonly<Record<string, string>> = { image: "proxyImage" };

/** The validated settings of one stack: its app's, and its proxy's under their config key names. */
export interface Settings extends AppSettings, Omit<ProxySettings, "image"> {
    readonly proxyImage: string;
}

/** Defaults for every optional key; `Pulumi.yaml` declares the same values. */
export const DEFAULTS = {
    publicPort: PROXY_DEFAULTS.publicPort,
    bluePort: APP_DEFAULTS.bluePort,
    greenPort: APP_DEFAULTS.greenPort,
    appPort: APP_DEFAULTS.appPort,
    healthPath: APP_DEFAULTS.healthPath,
    healthTimeoutSeconds: APP_DEFAULTS.healthTimeoutSeconds,
    healthIntervalMs: APP_DEFAULTS.healthIntervalMs,
    healthyThreshold: APP_DEFAULTS.healthyThreshold,
    proxyImage: PROXY_DEFAULTS.image,
    engine: PROXY_DEFAULTS.engine,
    orchestrator: PROXY_DEFAULTS.orchestrator,
    replicas: APP_DEFAULTS.replicas,
    httpsPort: PROXY_DEFAULTS.httpsPort,
    tlsRedirect: PROXY_DEFAULTS.tlsRedirect,
    maintenance: APP_DEFAULTS.maintenance,
    maintenanceMessage: APP_DEFAULTS.maintenanceMessage,
    tlsAcmeDirectory: PROXY_DEFAULTS.tlsAcmeDirectory,
    acmeImage: PROXY_DEFAULTS.acmeImage,
    canaryPercent: APP_DEFAULTS.canaryPercent,
    verifySeconds: APP_DEFAULTS.verifySeconds,
    maxErrorRate: APP_DEFAULTS.maxErrorRate,
    minRequests: APP_DEFAULTS.minRequests,
    hosts: APP_DEFAULTS.hosts,
    pathPrefix: APP_DEFAULTS.pathPrefix,
    stripPathPrefix: APP_DEFAULTS.stripPathPrefix,
    /** No more apps than the stack's own (as Pulumi gives an object value: its JSON text). */
    apps: "{}",
} as const;

export interface ParseOptions {
    /** The clock certificates are checked against. */
    readonly now?: Date;
    /** Secrets are not at hand (the helpers read plain stack files): TLS is parsed without its key. */
    readonly secretsUnread?: boolean;
}

/** Validates the whole stack config. Throws ConfigError for the first bad key. */
export function parseSettings(read: SettingReader, options: ParseOptions = {}): Settings {
    const proxySubject = configSubject(PROXY_CONFIG_KEYS);
    const { image, ...proxy } = parseProxySettings((key) => read(PROXY_CONFIG_KEYS[key] ?? key), proxySubject, {
        now: options.now,
        keyUnread: options.secretsUnread,
    });
    const app = parseAppSettings(
        options.secretsUnread ? (key) => (key === "registryAuth" ? undefined : read(key)) : read,
        configSubject(),
        {
            ...proxy,
            subject: proxySubject,
        },
    );
    return { ...app, ...proxy, proxyImage: image };
}

/** The whole stack: its own app (the flat keys) when it has one, the `apps`, and the proxy's settings. */
export interface StackSettings {
    /** The stack's own app and the proxy, from the flat keys; absent when only `apps` are set. */
    readonly main?: Settings;
    /** The proxy's settings under their config key names (the main app's, when there is one). */
    readonly proxy: Omit<ProxySettings, "image"> & { readonly proxyImage: string };
    /** More apps behind the proxy, by name (`<stack>-<name>`), from the `apps` key. */
    readonly apps: ReadonlyMap<string, AppSettings>;
    /** Logins for registries the Docker client has none for, for the proxy and every app (a secret). */
    readonly registryAuth?: RegistryLogins;
}

/** The flat keys that make the stack's own app: with `apps` set and none of these, there is none. */
const MAIN_APP_KEYS = ["liveColor", "blueImage", "greenImage"];

/**
 * Validates the stack config with its `apps`: the stack's own app when the flat keys name one (or
 * no `apps` are set), every app of `apps`, and that no two apps claim the same requests or ports.
 */
export function parseStack(read: SettingReader, options: ParseOptions = {}): StackSettings {
    const hasApps = !/^\s*(?:\{\s*\})?\s*$/.test(read("apps") ?? "");
    const flat = MAIN_APP_KEYS.some((key) => (read(key) ?? "") !== "");
    const main = flat || !hasApps ? parseSettings(read, options) : undefined;
    const proxySubject = configSubject(PROXY_CONFIG_KEYS);
    const proxy = main ?? proxyOnly(read, options);
    const apps = parseStackApps(read("apps"), { ...proxy, subject: proxySubject });
    assertAppsApart(main, apps);
    const logins = main ? main.registryAuth : stackLogins(read, options);
    return { ...(main ? { main } : {}), proxy, apps, ...(logins ? { registryAuth: logins } : {}) };
}

/** The `registryAuth` key when no app of the flat keys reads it (the helpers never read secrets). */
function stackLogins(read: SettingReader, options: ParseOptions): RegistryLogins | undefined {
    const raw = options.secretsUnread ? undefined : read("registryAuth");
    return raw === undefined || raw === ""
        ? undefined
        : validateRegistryAuth("bluegreen:registryAuth", raw, ", set with --secret");
}

function proxyOnly(read: SettingReader, options: ParseOptions): StackSettings["proxy"] {
    const { image, ...proxy } = parseProxySettings(
        (key) => read(PROXY_CONFIG_KEYS[key] ?? key),
        configSubject(PROXY_CONFIG_KEYS),
        { now: options.now, keyUnread: options.secretsUnread },
    );
    return { ...proxy, proxyImage: image };
}

/** No two apps of the stack claim the same host and prefix, or the same preview port. */
function assertAppsApart(main: Settings | undefined, apps: ReadonlyMap<string, AppSettings>): void {
    interface Named {
        readonly label: string;
        readonly app: AppSettings;
        /** A key of this app as messages name it. */
        readonly key: (key: string) => string;
    }
    const all: Named[] = [
        ...(main ? [{ label: "the stack's own app", app: main, key: (k: string) => `bluegreen:${k}` }] : []),
        ...[...apps].map(([name, app]) => ({
            label: `app ${name}`,
            app,
            key: (k: string) => `bluegreen:apps.${name}.${k}`,
        })),
    ];
    const conflict = routeConflict(
        all.map(({ label, app }) => ({ app: label, hosts: app.route.hosts, pathPrefix: app.route.pathPrefix })),
    );
    if (conflict !== undefined) {
        throw new ConfigError(`bluegreen:apps: ${conflict}`);
    }
    const ports = new Map<number, string>();
    for (const { app, key } of all) {
        for (const [name, port] of [
            [key("bluePort"), app.bluePort],
            [key("greenPort"), app.greenPort],
        ] as const) {
            const other = ports.get(port);
            if (other !== undefined) {
                throw new ConfigError(
                    `${name} must differ from ${other} (both are ${port}): every app needs preview ports of its own`,
                );
            }
            ports.set(port, name);
        }
    }
}

/** Stack names become Docker container and network names. */
export function validateStackName(value: string): string {
    return validateDockerName("stack name", value);
}
