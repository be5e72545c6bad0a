// The stack program's config (`bluegreen:<key>` in Pulumi.<stack>.yaml) as a Proxy's and an App's
// arguments. Only index.ts uses this; a program of your own passes arguments directly.
import * as pulumi from "../sdk";
import type { AppArgs } from "../app";
import { parseSettings, Settings, validateStackName } from "../core/config";
import { ConfigError } from "../core/configError";
import type { ProxyArgs } from "../proxy";

/** Keys that hold passwords or private keys: refused unless set with --secret. */
const SECRET_KEYS = new Set(["registryAuth", "tlsKey"]);

export interface StackConfig {
    readonly stack: string;
    readonly settings: Settings;
    readonly proxy: ProxyArgs;
    readonly app: Omit<AppArgs, "proxy">;
}

/** Reads and validates the stack's config; a bad key stops the program with one line, before any resource. */
export function readStackConfig(): StackConfig {
    const config = new pulumi.Config("bluegreen");
    const read = (key: string) => (SECRET_KEYS.has(key) ? secretConfig(key) : config.get(key));
    try {
        const stack = validateStackName(pulumi.getStack());
        const settings = parseSettings(read);
        return { stack, settings, ...stackArgs(settings, read) };
    } catch (err) {
        throw err instanceof ConfigError ? new pulumi.RunError(err.message) : err;
    }
}

/** The Proxy's and the App's arguments for validated stack settings (`read` gives the raw TLS texts). */
export function stackArgs(s: Settings, read: (key: string) => string | undefined): Pick<StackConfig, "proxy" | "app"> {
    // One secret for both: the proxy's image and the colours' then share a docker provider.
    const logins = s.registryAuth === undefined ? undefined : pulumi.secret(s.registryAuth);
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
    const app: Omit<AppArgs, "proxy"> = {
        liveColor: s.liveColor,
        blueImage: s.blueImage,
        greenImage: s.greenImage,
        appPort: s.appPort,
        bluePort: s.bluePort,
        greenPort: s.greenPort,
        healthPath: s.healthPath,
        healthTimeoutSeconds: s.healthTimeoutSeconds,
        healthIntervalMs: s.healthIntervalMs,
        healthyThreshold: s.healthyThreshold,
        ...(s.smokeTest !== undefined ? { smokeTest: s.smokeTest } : {}),
        ...(logins ? { registryAuth: logins } : {}),
        replicas: s.replicas,
        canaryPercent: s.canaryPercent,
        verifySeconds: s.verification.seconds,
        maxErrorRate: s.verification.maxErrorRate,
        minRequests: s.verification.minRequests,
        ...(s.verification.maxP99Ms !== undefined ? { maxP99Ms: s.verification.maxP99Ms } : {}),
        maintenance: s.maintenance.on,
        maintenanceMessage: s.maintenance.message,
    };
    return { proxy, app };
}

/** A value that must be a secret (it holds passwords), read without the SDK's plain-read warning. */
function secretConfig(key: string): string | undefined {
    const runtimeConfig = require("@pulumi/pulumi/runtime/config") as {
        getConfig(key: string): string | undefined;
        isConfigSecret(key: string): boolean;
    };
    const value = runtimeConfig.getConfig(`bluegreen:${key}`);
    if (value !== undefined && value !== "" && !runtimeConfig.isConfigSecret(`bluegreen:${key}`)) {
        const example = key === "tlsKey" ? `-- "$(cat key.pem)"` : `'<json>'`;
        throw new ConfigError(`bluegreen:${key} must be set as a secret: pulumi config set --secret ${key} ${example}`);
    }
    return value;
}
