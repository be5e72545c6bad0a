// The stack program's config (`bluegreen:<key>` in Pulumi.<stack>.yaml) as a Proxy's and an App's
// arguments. Only index.ts uses this; a program of your own passes arguments directly.
import * as pulumi from "../sdk";
import type { AppArgs } from "../app";
import type { AppSettings } from "../core/appSettings";
import { parseStack, StackSettings, validateStackName } from "../core/config";
import { stackAppCertificates } from "../core/stackApps";
import { ConfigError } from "../core/configError";
import type { ProxyArgs } from "../proxy";

/** Keys that hold passwords or private keys: refused unless set with --secret. */
const SECRET_KEYS = new Set(["registryAuth", "tlsKey"]);

export interface StackConfig {
    readonly stack: string;
    readonly settings: StackSettings;
    readonly proxy: ProxyArgs;
    /** The stack's own app (the flat keys), named after the stack; absent when only `apps` are set. */
    readonly app?: Omit<AppArgs, "proxy">;
    /** The `apps`, by name: each App is named `<stack>-<name>`. */
    readonly apps: [string, Omit<AppArgs, "proxy">][];
}

/** Reads and validates the stack's config; a bad key stops the program with one line, before any resource. */
export function readStackConfig(): StackConfig {
    const config = new pulumi.Config("bluegreen");
    const read = (key: string) =>
        SECRET_KEYS.has(key) ? secretConfig(key) : key === "apps" ? runtimeConfig().getConfig(APPS) : config.get(key);
    try {
        const stack = validateStackName(pulumi.getStack());
        const settings = parseStack(read);
        return { stack, settings, ...stackArgs(settings, read, runtimeConfig().isConfigSecret(APPS)) };
    } catch (err) {
        throw err instanceof ConfigError ? new pulumi.RunError(err.message) : err;
    }
}

/** The Proxy's and the Apps' arguments for validated stack settings (`read` gives the raw TLS texts). */
export function stackArgs(
    stack: StackSettings,
    read: (key: string) => string | undefined,
    appsSecret = false,
): Pick<StackConfig, "proxy" | "app" | "apps"> {
    const s = stack.proxy;
    // One secret for both: the proxy's image and the colours' then share a docker provider.
    const logins = stack.registryAuth === undefined ? undefined : pulumi.secret(stack.registryAuth);
    const tls = s.tls;
    const proxy: ProxyArgs = {
        publicPort: s.publicPort,
        httpsPort: s.httpsPort,
        image: s.proxyImage,
        engine: s.engine,
        orchestrator: s.orchestrator,
        ...(logins ? { registryAuth: logins } : {}),
        ...(tls?.source === "certificate"
            ? { tlsCertificate: read("tlsCertificate"), tlsKey: pulumi.secret(read("tlsKey") ?? "") }
            : {}),
        ...(tls?.acme
            ? {
                  tlsAcmeEmail: tls.acme.email,
                  tlsAcmeDirectory: tls.acme.directory,
                  acmeImage: tls.acme.image,
                  ...(tls.acme.directoryCa ? { tlsAcmeDirectoryCa: tls.acme.directoryCa } : {}),
              }
            : {}),
        ...(tls && tls.hostnames.length > 0 ? { tlsHostnames: tls.hostnames } : {}),
        ...(tls ? { tlsRedirect: tls.redirect } : {}),
    };
    const app = (a: AppSettings): Omit<AppArgs, "proxy"> => ({
        liveColor: a.liveColor,
        blueImage: a.blueImage,
        greenImage: a.greenImage,
        appPort: a.appPort,
        bluePort: a.bluePort,
        greenPort: a.greenPort,
        healthPath: a.healthPath,
        healthTimeoutSeconds: a.healthTimeoutSeconds,
        healthIntervalMs: a.healthIntervalMs,
        healthyThreshold: a.healthyThreshold,
        ...(a.smokeTest !== undefined ? { smokeTest: a.smokeTest } : {}),
        ...(logins ? { registryAuth: logins } : {}),
        replicas: a.replicas,
        canaryPercent: a.canaryPercent,
        verifySeconds: a.verification.seconds,
        maxErrorRate: a.verification.maxErrorRate,
        minRequests: a.verification.minRequests,
        ...(a.verification.maxP99Ms !== undefined ? { maxP99Ms: a.verification.maxP99Ms } : {}),
        maintenance: a.maintenance.on,
        maintenanceMessage: a.maintenance.message,
        // Only when claimed: the stack's own app keeps the arguments (and the config) it had.
        ...(a.route.hosts.length > 0 ? { hosts: a.route.hosts } : {}),
        ...(a.route.pathPrefix !== "/" ? { pathPrefix: a.route.pathPrefix } : {}),
        ...(!a.route.stripPathPrefix ? { stripPathPrefix: false } : {}),
    });
    // An app of `apps` may bring its own certificate for its hosts (the key a secret).
    const owned = stackAppCertificates(read("apps"), stack.apps, s.tls, appsSecret, new Date());
    const ownTls = (name: string) => {
        const pair = owned.get(name);
        return pair ? { tlsCertificate: pair.certificate, tlsKey: pulumi.secret(pair.key) } : {};
    };
    // The flat tlsRedirect is the proxy's; an app of `apps` may set its own.
    const redirect = (a: AppSettings) => (a.tlsRedirect !== undefined ? { tlsRedirect: a.tlsRedirect } : {});
    return {
        proxy,
        ...(stack.main ? { app: app(stack.main) } : {}),
        apps: [...stack.apps].map(([name, a]) => [name, { ...app(a), ...ownTls(name), ...redirect(a) }]),
    };
}

/** The `apps` key, read as Pulumi holds it: a nested `--secret` value (an app's tlsKey) makes it a secret. */
const APPS = "bluegreen:apps";

function runtimeConfig(): { getConfig(key: string): string | undefined; isConfigSecret(key: string): boolean } {
    return require("@pulumi/pulumi/runtime/config");
}

/** A value that must be a secret (it holds passwords), read without the SDK's plain-read warning. */
function secretConfig(key: string): string | undefined {
    const value = runtimeConfig().getConfig(`bluegreen:${key}`);
    if (value !== undefined && value !== "" && !runtimeConfig().isConfigSecret(`bluegreen:${key}`)) {
        const example = key === "tlsKey" ? `-- "$(cat key.pem)"` : `'<json>'`;
        throw new ConfigError(`bluegreen:${key} must be set as a secret: pulumi config set --secret ${key} ${example}`);
    }
    return value;
}
