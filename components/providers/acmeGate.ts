// Dynamic provider: waits on the ACME agent (images/acme) beside the proxy. `ready`: the agent has
// put a certificate (at first a self-signed placeholder) into nginx's filesystem, so the proxy
// switch's config that reads it loads. `issued`: after the switch, the agent holds a certificate
// from the ACME directory and nginx presents it. Reads the agent through `docker exec`.
import * as pulumi from "../sdk";
import { ModuleDynamicResource } from "./dynamicResource";
import { docker } from "../runtime/docker";
import { lastLine } from "../core/text";
import { sleep } from "../runtime/probe";

/** The agent's binary inside its image (a scratch image: no shell). */
export const AGENT_BINARY = "/bluegreen-acme";

export interface AcmeStatus {
    readonly state: "starting" | "placeholder" | "issued";
    readonly subject?: string;
    readonly issuer?: string;
    readonly serial?: string;
    readonly notAfter?: string;
    readonly renewAt?: string;
    readonly inNginx?: boolean;
    readonly served?: boolean;
    readonly renewals?: number;
    readonly lastError?: string;
    readonly lastErrorAt?: string;
}

export interface AcmeGateInputs {
    /** The agent's container name and ID (a new agent is waited for again). */
    readonly container: string;
    readonly containerId: string;
    readonly wait: "ready" | "issued";
    /** Names the certificate must cover; a change is a new order, waited for again. */
    readonly domains: string[];
    readonly directory: string;
    readonly timeoutSeconds: number;
}

export type AcmeGateState = AcmeGateInputs & {
    readonly serial: string;
    readonly issuer: string;
    readonly notAfter: string;
};

export async function agentStatus(container: string): Promise<AcmeStatus | undefined> {
    const result = await docker(["exec", container, AGENT_BINARY, "status"]);
    if (result.code !== 0) {
        return undefined;
    }
    try {
        return JSON.parse(result.stdout) as AcmeStatus;
    } catch {
        return undefined;
    }
}

/** Polls the agent until `inputs.wait` holds; fails with the agent's own error line. */
export async function waitAgent(inputs: AcmeGateInputs): Promise<AcmeGateState> {
    const started = new Date();
    const deadline = started.getTime() + inputs.timeoutSeconds * 1000;
    let status: AcmeStatus | undefined;
    for (;;) {
        status = await agentStatus(inputs.container);
        if (inputs.wait === "ready" && status?.inNginx) {
            break;
        }
        if (inputs.wait === "issued" && status?.state === "issued") {
            // nginx presents it: the agent checks on a fresh TLS connection (reloading it if needed).
            const served = await docker(["exec", inputs.container, AGENT_BINARY, "ensure-served"]);
            if (served.code === 0) {
                break;
            }
            if (served.code !== 2) {
                throw new Error(`ACME: ${lastLine(served.stderr || served.stdout).replace(/^bluegreen-acme: /, "")}`);
            }
        }
        if (
            inputs.wait === "issued" &&
            status?.lastError &&
            Date.parse(status.lastErrorAt ?? "") >= started.getTime()
        ) {
            throw new Error(
                `ACME: no certificate for ${inputs.domains.join(", ")} from ${inputs.directory}: ${status.lastError}; ` +
                    `HTTPS serves the ${status.state === "issued" ? "previous" : "self-signed placeholder"} certificate ` +
                    `(the agent retries on its own; docker logs ${inputs.container})`,
            );
        }
        if (Date.now() > deadline) {
            const seen = status ? `state ${status.state}` : "the agent does not answer";
            throw new Error(
                `ACME: no certificate for ${inputs.domains.join(", ")} within ${inputs.timeoutSeconds} s (${seen}; ` +
                    `docker logs ${inputs.container})`,
            );
        }
        await sleep(500);
    }
    return {
        ...inputs,
        serial: status?.serial ?? "",
        issuer: status?.issuer ?? "",
        notAfter: status?.notAfter ?? "",
    };
}

const INPUT_KEYS: (keyof AcmeGateInputs)[] = ["container", "containerId", "wait", "domains", "directory"];

export const acmeGateProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: AcmeGateState, news: AcmeGateInputs) {
        const changed = INPUT_KEYS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: AcmeGateInputs) {
        return { id: `${inputs.container}-${inputs.wait}`, outs: await waitAgent(inputs) };
    },
    async update(_id: string, _olds: AcmeGateState, news: AcmeGateInputs) {
        return { outs: await waitAgent(news) };
    },
};

export type AcmeGateArgs = { readonly [K in keyof AcmeGateInputs]: pulumi.Input<AcmeGateInputs[K]> };

/** Waits on the ACME agent; see the module comment. */
export class AcmeGate extends ModuleDynamicResource {
    public readonly serial!: pulumi.Output<string>;
    public readonly issuer!: pulumi.Output<string>;
    public readonly notAfter!: pulumi.Output<string>;

    constructor(name: string, args: AcmeGateArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            { module: __filename, exportName: "acmeGateProvider" },
            name,
            { ...args, serial: undefined, issuer: undefined, notAfter: undefined },
            opts,
        );
    }
}
