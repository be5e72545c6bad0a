// The stack program's config (index.ts): `bluegreen:<key>` values -> validated settings of one proxy
// and one app. Pure: no Pulumi, no I/O, so every rule has a plain test. The helpers (scripts/) read
// stack settings through the same parser.
import { APP_DEFAULTS, AppSettings, parseAppSettings } from "./appSettings";
import { parseProxySettings, PROXY_DEFAULTS, ProxySettings } from "./proxySettings";
import { configSubject, SettingReader } from "./subject";
import { validateDockerName } from "./validate";

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

/** Stack names become Docker container and network names. */
export function validateStackName(value: string): string {
    return validateDockerName("stack name", value);
}
