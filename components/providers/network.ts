// Dynamic provider: the stack's own Docker network, where the proxy reaches colours by name.
import * as pulumi from "../sdk";
import { ModuleDynamicResource } from "./dynamicResource";
import { docker, dockerOk, isNotFound } from "../runtime/docker";
import { lastLine } from "../core/text";
import { sleep } from "../runtime/probe";

export interface NetworkInputs {
    readonly name: string;
    readonly labels: Record<string, string>;
    /** `bridge` (default) on one engine; `overlay` spans a swarm and is attachable. */
    readonly driver?: "bridge" | "overlay";
}

/** How long `docker network rm` retries while a removed service's tasks still hold endpoints. */
const BUSY_TIMEOUT_MS = 30000;

async function createNetwork(inputs: NetworkInputs): Promise<string> {
    const existing = await docker(["network", "inspect", "--format", "{{.Id}}", inputs.name]);
    if (existing.code === 0) {
        // Left behind by an interrupted run: adopt it rather than fail on the name.
        return existing.stdout.trim();
    }
    const args = ["network", "create"];
    if (inputs.driver === "overlay") {
        args.push("--driver", "overlay", "--attachable");
    }
    for (const [key, value] of Object.entries(inputs.labels)) {
        args.push("--label", `${key}=${value}`);
    }
    return dockerOk([...args, inputs.name]);
}

export const networkProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: NetworkInputs, news: NetworkInputs) {
        const replaces = (["name", "driver"] as const).filter((k) => (olds[k] ?? "bridge") !== (news[k] ?? "bridge"));
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
    },
    async create(inputs: NetworkInputs) {
        const id = await createNetwork(inputs);
        return { id, outs: { ...inputs, networkId: id } };
    },
    async delete(id: string) {
        const deadline = Date.now() + BUSY_TIMEOUT_MS;
        for (;;) {
            const result = await docker(["network", "rm", id]);
            if (result.code === 0 || isNotFound(result.stderr)) {
                return;
            }
            // A swarm's tasks leave their overlay network a moment after their service is removed.
            if (!/active endpoints/i.test(result.stderr) || Date.now() > deadline) {
                throw new Error(`docker network rm ${id} failed: ${lastLine(result.stderr)}`);
            }
            await sleep(500);
        }
    },
};

/** A user-defined network (Docker DNS resolves container and `tasks.<service>` names on it). */
export class Network extends ModuleDynamicResource {
    public readonly name!: pulumi.Output<string>;
    public readonly networkId!: pulumi.Output<string>;

    constructor(
        name: string,
        args: { readonly [K in keyof NetworkInputs]: pulumi.Input<NetworkInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super({ module: __filename, exportName: "networkProvider" }, name, { ...args, networkId: undefined }, opts);
    }
}
