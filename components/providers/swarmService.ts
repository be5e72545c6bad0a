// Dynamic provider: one Docker Swarm service, created, scaled and removed through the docker CLI
// talking to a manager (DOCKER_HOST or the docker context).
import * as pulumi from "../sdk";
import { ModuleDynamicResource } from "./dynamicResource";
import { ServicePort } from "../engines/engine";
import { filesVolume } from "../core/names";
import { docker, dockerOk, isNotFound, serviceContainers } from "../runtime/docker";
import { lastLine } from "../core/text";
import { sleep } from "../runtime/probe";

export interface SwarmServiceInputs {
    readonly name: string;
    /** The reference the user configured; what every node runs. */
    readonly image: string;
    /** The image's ID on the manager: a new one (a rebuilt tag) replaces the service. */
    readonly imageId: string;
    /** Ask the registry for the tag's digest and pin it (false for an image built locally: no registry). */
    readonly resolveImage: boolean;
    readonly network: string;
    readonly replicas: number;
    readonly ports: ServicePort[];
    readonly labels: Record<string, string>;
    /** Swarm node ID to pin the tasks to (the manager the deploy talks to), or "" to spread them. */
    readonly nodeId: string;
    readonly command: string[];
    readonly env: Record<string, string>;
    /** Where the task keeps its seed files: a volume `<name>-files` on the node, or "" for none. */
    readonly filesDir: string;
}

type State = SwarmServiceInputs & { serviceId: string };

/** Inputs whose change needs a new service; `replicas` scales in place. */
const REPLACE_KEYS: (keyof SwarmServiceInputs)[] = [
    "name",
    "image",
    "imageId",
    "resolveImage",
    "network",
    "ports",
    "labels",
    "nodeId",
    "command",
    "env",
    "filesDir",
];

/** How long a removed service's containers may take to stop before the provider moves on. */
const GONE_TIMEOUT_MS = 30000;

function same(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

/** The `docker service create` arguments for `inputs` (pure: tested in test/unit/swarm.test.ts). */
export function createArgs(inputs: SwarmServiceInputs): string[] {
    const args = ["service", "create", "--detach", "--name", inputs.name, "--replicas", String(inputs.replicas)];
    // DNS round-robin (tasks.<name>) instead of a virtual IP: no routing mesh between nginx and the tasks.
    args.push("--endpoint-mode", "dnsrr", "--network", inputs.network);
    for (const [key, value] of Object.entries(inputs.labels)) {
        args.push("--label", `${key}=${value}`, "--container-label", `${key}=${value}`);
    }
    for (const p of inputs.ports) {
        args.push("--publish", `mode=host,target=${p.target},published=${p.published},protocol=tcp`);
    }
    if (inputs.nodeId !== "") {
        args.push("--constraint", `node.id==${inputs.nodeId}`);
    }
    if (inputs.filesDir !== "") {
        args.push("--mount", `type=volume,source=${filesVolume(inputs.name)},target=${inputs.filesDir}`);
    }
    for (const [key, value] of Object.entries(inputs.env)) {
        args.push("--env", `${key}=${value}`);
    }
    // A task that exits is started again, after a pause that keeps a crash loop cheap.
    args.push("--restart-condition", "any", "--restart-delay", "1s");
    if (!inputs.resolveImage) {
        args.push("--no-resolve-image");
    }
    return [...args, inputs.image, ...inputs.command];
}

async function removeOrphan(inputs: SwarmServiceInputs): Promise<void> {
    const managed = Object.entries(inputs.labels)[0];
    const existing = await docker(["service", "inspect", "--format", "{{json .Spec.Labels}}", inputs.name]);
    if (existing.code !== 0) {
        return; // no service of that name
    }
    const labels = JSON.parse(existing.stdout.trim() || "{}") as Record<string, string> | null;
    if (managed === undefined || labels?.[managed[0]] !== managed[1]) {
        throw new Error(
            `service ${inputs.name} already exists and is not managed by this stack; ` +
                `remove it (docker service rm ${inputs.name}) or use another stack name`,
        );
    }
    // Left behind by an interrupted `pulumi up` (not in state): replace it.
    await removeService(inputs.name, inputs.filesDir !== "");
}

/** Removes the service and waits (bounded) until its containers on this node are gone. */
export async function removeService(idOrName: string, withVolume: boolean, name = idOrName): Promise<void> {
    const result = await docker(["service", "rm", idOrName]);
    if (result.code !== 0 && !isNotFound(result.stderr)) {
        throw new Error(`docker service rm ${name} failed: ${lastLine(result.stderr)}`);
    }
    const deadline = Date.now() + GONE_TIMEOUT_MS;
    while (Date.now() < deadline) {
        if ((await serviceContainers(name, "all"))?.length === 0) {
            break;
        }
        await sleep(200);
    }
    if (withVolume) {
        // The files volume lives on the pinned node (this one); a task still stopping keeps it busy.
        while (Date.now() < deadline) {
            const rm = await docker(["volume", "rm", filesVolume(name)]);
            if (rm.code === 0 || isNotFound(rm.stderr)) {
                break;
            }
            await sleep(200);
        }
    }
}

async function createService(inputs: SwarmServiceInputs): Promise<State> {
    await removeOrphan(inputs);
    const serviceId = await dockerOk(createArgs(inputs));
    return { ...inputs, serviceId };
}

export const swarmServiceProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: State, news: SwarmServiceInputs) {
        const replaces = REPLACE_KEYS.filter((k) => !same(olds[k], news[k]));
        const changes = replaces.length > 0 || olds.replicas !== news.replicas;
        // Fixed names: the old service must go before the new one can take its name.
        return { changes, replaces, deleteBeforeReplace: true };
    },
    async create(inputs: SwarmServiceInputs) {
        const outs = await createService(inputs);
        return { id: outs.serviceId, outs };
    },
    async update(id: string, olds: State, news: SwarmServiceInputs) {
        // Only the replica count changes in place; the health gate then proves every replica.
        await dockerOk(["service", "update", "--detach", "--replicas", String(news.replicas), id]);
        return { outs: { ...olds, ...news } };
    },
    async read(id: string, props?: State) {
        const result = await docker(["service", "inspect", "--format", "{{.ID}}", id]);
        if (result.code !== 0) {
            if (isNotFound(result.stderr)) {
                return {}; // gone: the engine will create it again
            }
            throw new Error(`docker service inspect ${id} failed: ${lastLine(result.stderr)}`);
        }
        return { id, props };
    },
    async delete(id: string, props: State) {
        await removeService(id, props.filesDir !== "", props.name);
    },
};

export type SwarmServiceArgs = { readonly [K in keyof SwarmServiceInputs]: pulumi.Input<SwarmServiceInputs[K]> };

/** A Swarm service with a fixed name; replaced (old one first) when its image or ports change. */
export class SwarmService extends ModuleDynamicResource {
    public readonly serviceId!: pulumi.Output<string>;
    public readonly name!: pulumi.Output<string>;

    constructor(name: string, args: SwarmServiceArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            { module: __filename, exportName: "swarmServiceProvider" },
            name,
            { ...args, serviceId: undefined },
            opts,
        );
    }
}
