// Dynamic provider: runs the user's smoke test against the colour about to go live.
import * as childProcess from "child_process";
import * as pulumi from "../sdk";
import { ModuleDynamicResource } from "./dynamicResource";
import { lastLine } from "./docker";

export interface SmokeTestInputs {
    /** Shell command; TARGET_URL and TARGET_COLOR are set for it. */
    readonly command: string;
    readonly color: string;
    readonly targetUrl: string;
    /** The target's container: a replacement makes the test run again. */
    readonly containerId: string;
    /** Kill the command after this long (default 300). */
    readonly timeoutSeconds?: number;
}

/** Runs the command; resolves on exit 0, otherwise fails with one line and the command's last words. */
export function runSmokeTest(inputs: SmokeTestInputs): Promise<void> {
    return new Promise((resolve, reject) => {
        childProcess.execFile(
            "sh",
            ["-c", inputs.command],
            {
                env: { ...process.env, TARGET_URL: inputs.targetUrl, TARGET_COLOR: inputs.color },
                timeout: (inputs.timeoutSeconds ?? 300) * 1000,
                maxBuffer: 4 * 1024 * 1024,
            },
            (error, stdout, stderr) => {
                if (!error) {
                    resolve();
                    return;
                }
                const how = typeof error.code === "number" ? `exited ${error.code}` : `failed (${error.message})`;
                reject(
                    new Error(
                        `smoke test against ${inputs.color} (${inputs.targetUrl}) ${how}: ` +
                            `${lastLine(String(stderr) || String(stdout))}; traffic was not moved to ${inputs.color}`,
                    ),
                );
            },
        );
    });
}

const KEYS: (keyof SmokeTestInputs)[] = ["command", "color", "targetUrl", "containerId"];

export const smokeTestProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: SmokeTestInputs, news: SmokeTestInputs) {
        return { changes: KEYS.some((k) => olds[k] !== news[k]), replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: SmokeTestInputs) {
        await runSmokeTest(inputs);
        return { id: "smoke-test", outs: { ...inputs, passedAt: new Date().toISOString() } };
    },
    async update(_id: string, _olds: SmokeTestInputs, news: SmokeTestInputs) {
        await runSmokeTest(news);
        return { outs: { ...news, passedAt: new Date().toISOString() } };
    },
};

/** Gates the switch on the user's own check of the colour about to go live. */
export class SmokeTest extends ModuleDynamicResource {
    constructor(
        name: string,
        args: { readonly [K in keyof SmokeTestInputs]: pulumi.Input<SmokeTestInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super({ module: __filename, exportName: "smokeTestProvider" }, name, { ...args, passedAt: undefined }, opts);
    }
}
