import * as pulumi from "./components/sdk";
import { ConfigError, parseSettings, Settings, validateStackName } from "./components/config";
import { BlueGreenService } from "./components/service";

function settings(): { stack: string; settings: Settings } {
    const config = new pulumi.Config("bluegreen");
    try {
        return { stack: validateStackName(pulumi.getStack()), settings: parseSettings((key) => config.get(key)) };
    } catch (err) {
        // One line, no stack trace: nothing has been touched yet.
        throw err instanceof ConfigError ? new pulumi.RunError(err.message) : err;
    }
}

const service = new BlueGreenService("bluegreen", settings());

export const liveColor = service.liveColor;
export const liveImage = service.liveImage;
export const standbyColor = service.standbyColor;
export const standbyImage = service.standbyImage;
export const url = service.url;
export const blueUrl = service.blueUrl;
export const greenUrl = service.greenUrl;
export const proxyConfigVersion = service.proxyConfigVersion;
