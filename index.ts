import * as pulumi from "./components/sdk";
import { ConfigError, parseSettings, Settings, validateStackName } from "./components/config";
import { Engine } from "./components/engine";
import { findSite } from "./components/engines/address";
import { selectEngine } from "./components/engines/select";
import { Site } from "./components/site";
import { BlueGreenService } from "./components/service";

function setup(): { stack: string; settings: Settings; engine: Engine; site: Site } {
    const config = new pulumi.Config("bluegreen");
    try {
        const stack = validateStackName(pulumi.getStack());
        const settings = parseSettings((key) => (SECRET_KEYS.has(key) ? secretConfig(key) : config.get(key)));
        const site = findSite();
        return { stack, settings, site, engine: selectEngine(stack, settings, site) };
    } catch (err) {
        // One line, no stack trace: nothing has been touched yet.
        throw err instanceof ConfigError ? new pulumi.RunError(err.message) : err;
    }
}

/** Keys that hold passwords or private keys: refused unless set with --secret. */
const SECRET_KEYS = new Set(["registryAuth", "tlsKey"]);

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

const service = new BlueGreenService("bluegreen", setup());

export const liveColor = service.liveColor;
export const liveImage = service.liveImage;
export const standbyColor = service.standbyColor;
export const standbyImage = service.standbyImage;
export const url = service.url;
export const blueUrl = service.blueUrl;
export const greenUrl = service.greenUrl;
export const proxyConfigVersion = service.proxyConfigVersion;
export const httpsUrl = service.httpsUrl;
export const certificate = service.certificate;
export const maintenance = service.maintenance;
export const canary = service.canary;
export const verification = service.verification;
export const engine = service.engine;
export const blueDigest = service.digests.blue;
export const greenDigest = service.digests.green;
