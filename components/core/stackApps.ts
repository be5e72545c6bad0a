// The stack config's `apps` key: more apps behind the stack's one proxy, each an object of the
// App's settings (`pulumi config set --path 'apps.api.greenImage' app:2`, `hosts` a list). The flat
// keys (liveColor, blueImage, ...) keep meaning the stack's own app, named after the stack. Pure.
import { parseAppCertificate } from "./appCertificate";
import { AppSettings, parseAppSettings, ProxyFacts } from "./appSettings";
import { ConfigError } from "./configError";
import type { TlsSettings } from "./proxySettings";
import type { SettingReader, Subject } from "./subject";

/** An app's name under `apps`: it becomes `<stack>-<name>` in Docker names, so short and plain. */
const APP_NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;
/** Names the stack's own Docker objects and resources end in: `<stack>-proxy`, `<stack>-net`, ... */
const RESERVED = new Set(["proxy", "acme", "net", "network", "blue", "green", "switch", "guard", "smoke-test"]);

/** The `apps.<name>.<key>` settings of the stack config, as messages name them. */
export function appsSubject(app: string): Subject {
    return {
        name: (key) => `bluegreen:apps.${app}.${key}`,
        fromConfig: true,
        configKey: (key) => `--path 'apps.${app}.${key}'`,
    };
}

/** A config value (from JSON) as the parsers' text: lists comma-joined, booleans on/off. */
function asText(name: string, value: unknown): string | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    if (typeof value === "boolean") {
        return value ? "on" : "off";
    }
    if (typeof value === "string" || typeof value === "number") {
        return String(value);
    }
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
        return value.join(",");
    }
    throw new ConfigError(
        `${name} must be a string, a number, true/false or a list of strings (got ${JSON.stringify(value)})`,
    );
}

/**
 * Validates the `apps` key (its raw JSON text, as Pulumi gives an object value): every app's
 * settings, checked against the proxy; throws a ConfigError naming the first bad key.
 */
export function parseStackApps(raw: string | undefined, proxy: ProxyFacts): Map<string, AppSettings> {
    const apps = new Map<string, AppSettings>();
    if (raw === undefined || raw.trim() === "") {
        return apps;
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        throw new ConfigError(
            `bluegreen:apps must be an object of apps (pulumi config set --path 'apps.api.liveColor' blue)`,
        );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new ConfigError(
            `bluegreen:apps must be an object of apps (pulumi config set --path 'apps.api.liveColor' blue)`,
        );
    }
    for (const [name, entry] of Object.entries(parsed)) {
        if (!APP_NAME.test(name) || RESERVED.has(name)) {
            throw new ConfigError(
                `bluegreen:apps.${name.slice(0, 40)}: an app's name must be 1-31 lower-case letters, digits and -, ` +
                    `starting with a letter or digit, and not one of ${[...RESERVED].join(", ")}`,
            );
        }
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
            throw new ConfigError(
                `bluegreen:apps.${name} must be an object of the app's settings (liveColor, blueImage, ...)`,
            );
        }
        const values = entry as Record<string, unknown>;
        const subject = appsSubject(name);
        const read: SettingReader = (key) => {
            if (key === "registryAuth" && values[key] !== undefined) {
                throw new ConfigError(
                    `${subject.name(key)}: registry logins are the stack's, for every app: pulumi config set --secret registryAuth '<json>'`,
                );
            }
            return asText(subject.name(key), values[key]);
        };
        apps.set(name, parseAppSettings(read, subject, proxy));
    }
    return apps;
}

/**
 * The apps' own certificates (`apps.<name>.tlsCertificate` and the secret `apps.<name>.tlsKey`),
 * each checked for its app's hosts at `now`; `keySecret` says whether Pulumi holds `apps` as a
 * secret (a nested `--secret` value makes it one).
 */
export function stackAppCertificates(
    raw: string | undefined,
    apps: ReadonlyMap<string, AppSettings>,
    proxyTls: TlsSettings | undefined,
    keySecret: boolean,
    now: Date,
): Map<string, { certificate: string; key: string }> {
    const entries = JSON.parse(raw === undefined || raw.trim() === "" ? "{}" : raw) as Record<
        string,
        Record<string, unknown>
    >;
    const owned = new Map<string, { certificate: string; key: string }>();
    for (const [name, app] of apps) {
        const subject = appsSubject(name);
        const text = (key: string) => asText(subject.name(key), entries[name]?.[key]);
        const certificate = text("tlsCertificate");
        const key = text("tlsKey");
        if (key !== undefined && key !== "" && !keySecret) {
            throw new ConfigError(
                `${subject.name("tlsKey")} must be set as a secret: pulumi config set --secret --path ` +
                    `'apps.${name}.tlsKey' -- "$(cat key.pem)"`,
            );
        }
        const material = parseAppCertificate(certificate, key, app.route, proxyTls, subject, now);
        if (material !== undefined) {
            owned.set(name, { certificate: certificate!, key: key! });
        }
    }
    return owned;
}
