// Dynamic provider: the stack's own Docker network, where the proxy reaches colours by name.
import * as pulumi from "../sdk";
import { CachedDynamicResource } from "./dynamicResource";
import { docker, dockerOk, isNotFound, lastLine } from "./docker";

export interface NetworkInputs {
    readonly name: string;
    readonly labels: Record<string, string>;
}

async function createNetwork(inputs: NetworkInputs): Promise<string> {
    const existing = await docker(["network", "inspect", "--format", "{{.Id}}", inputs.name]);
    if (existing.code === 0) {
        // Left behind by an interrupted run: adopt it rather than fail on the name.
        return existing.stdout.trim();
    }
    const args = ["network", "create"];
    for (const [key, value] of Object.entries(inputs.labels)) {
        args.push("--label", `${key}=${value}`);
    }
    return dockerOk([...args, inputs.name]);
}

export const networkProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: NetworkInputs, news: NetworkInputs) {
        const replaces = olds.name !== news.name ? ["name"] : [];
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
    },
    async create(inputs: NetworkInputs) {
        const id = await createNetwork(inputs);
        return { id, outs: { ...inputs, networkId: id } };
    },
    async delete(id: string) {
        const result = await docker(["network", "rm", id]);
        if (result.code !== 0 && !isNotFound(result.stderr)) {
            throw new Error(`docker network rm ${id} failed: ${lastLine(result.stderr)}`);
        }
    },
};

/** A user-defined bridge network (Docker DNS resolves container names on it). */
export class Network extends CachedDynamicResource {
    public readonly name!: pulumi.Output<string>;
    public readonly networkId!: pulumi.Output<string>;

    constructor(
        name: string,
        args: { readonly [K in keyof NetworkInputs]: pulumi.Input<NetworkInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super("network", networkProvider, name, { ...args, networkId: undefined }, opts);
    }
}
