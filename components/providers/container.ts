// Dynamic provider: one Docker container, created and removed through the docker CLI.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "../sdk";
import { ModuleDynamicResource } from "./dynamicResource";
import { MANAGED_LABEL } from "../core/names";
import { PortBinding, VolumeMount } from "../engines/engine";
import { FileSeed } from "../core/engineRules";
import { docker, dockerOk, isNotFound } from "../runtime/docker";
import { lastLine } from "../core/text";

export interface ContainerInputs {
    readonly name: string;
    /** The reference the user configured; a change replaces the container. */
    readonly image: string;
    /** The image to run: its ID as the image resource resolved it (runs exactly those bytes). */
    readonly imageId?: string;
    readonly network: string;
    /** A container ID whose network and PID namespaces this one shares (then `network` is ignored). */
    readonly namespacesOf?: string;
    readonly volumes?: VolumeMount[];
    readonly env?: Record<string, string>;
    readonly ports: PortBinding[];
    readonly labels: Record<string, string>;
    /** Docker restart policy (default unless-stopped). */
    readonly restart?: string;
    /** Files copied in before the first start; later changes are applied by their owner, not here. */
    readonly seedFiles: FileSeed[];
}

type State = ContainerInputs & { containerId: string; imageId: string };

/** Inputs whose change needs a new container. */
const REPLACE_KEYS: (keyof ContainerInputs)[] = [
    "name",
    "image",
    "network",
    "ports",
    "labels",
    "namespacesOf",
    "volumes",
    "env",
];

function same(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

async function removeOrphan(inputs: ContainerInputs): Promise<void> {
    const existing = await docker(["inspect", "--format", `{{index .Config.Labels "${MANAGED_LABEL}"}}`, inputs.name]);
    if (existing.code !== 0) {
        return; // no container of that name
    }
    if (existing.stdout.trim() !== inputs.labels[MANAGED_LABEL]) {
        throw new Error(
            `container ${inputs.name} already exists and is not managed by this stack; ` +
                `remove it (docker rm -f ${inputs.name}) or use another stack name`,
        );
    }
    // Left behind by an interrupted `pulumi up` (not in state): replace it.
    await dockerOk(["rm", "-f", inputs.name]);
}

async function seed(name: string, files: FileSeed[]): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-seed-"));
    try {
        for (const [i, file] of files.entries()) {
            const local = path.join(dir, `file-${i}`);
            fs.writeFileSync(local, file.content, { mode: 0o644 });
            await dockerOk(["cp", local, `${name}:${file.path}`]);
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function imageIdOf(image: string): Promise<string> {
    return dockerOk(["image", "inspect", "--format", "{{.Id}}", image]).catch(() => {
        throw new Error(
            `image ${image} is not on the Docker engine; build or pull it first (docker image ls ${image})`,
        );
    });
}

/** The first command that makes the container; a name taken by a leftover of this stack is freed once. */
async function make(inputs: ContainerInputs, args: string[]): Promise<string> {
    let result = await docker(args);
    if (result.code !== 0 && /is already in use/.test(result.stderr)) {
        // Only when the name is taken: each docker call costs tens of milliseconds, 0.2 s over SSH.
        await removeOrphan(inputs);
        result = await docker(args);
    }
    if (result.code !== 0) {
        const why = result.stderr.split("\n").find((l) => /Error/.test(l)) ?? lastLine(result.stderr || result.stdout);
        throw new Error(`docker ${args[0]} ${inputs.name} failed: ${why.trim()}`);
    }
    return result.stdout.trim();
}

async function createContainer(inputs: ContainerInputs): Promise<State> {
    // An image resolved by the image resource is on the engine already.
    const imageId = inputs.imageId ? inputs.imageId : await imageIdOf(inputs.image);
    const restart = inputs.restart ?? "unless-stopped";
    const flags = ["--name", inputs.name, "--restart", restart];
    if (inputs.namespacesOf) {
        flags.push("--network", `container:${inputs.namespacesOf}`, "--pid", `container:${inputs.namespacesOf}`);
    } else {
        flags.push("--network", inputs.network);
    }
    for (const v of inputs.volumes ?? []) {
        flags.push("--volume", `${v.name}:${v.path}`);
    }
    for (const [key, value] of Object.entries(inputs.env ?? {})) {
        flags.push("--env", `${key}=${value}`);
    }
    for (const [key, value] of Object.entries(inputs.labels)) {
        flags.push("--label", `${key}=${value}`);
    }
    for (const p of inputs.ports) {
        flags.push("--publish", `${p.hostIp}:${p.hostPort}:${p.containerPort}`);
    }
    let containerId = "";
    try {
        if (inputs.seedFiles.length === 0) {
            // Nothing to copy in before the start: create and start in one call.
            containerId = await make(inputs, ["run", "--detach", ...flags, imageId]);
        } else {
            containerId = await make(inputs, ["create", ...flags, imageId]);
            await seed(inputs.name, inputs.seedFiles);
            await dockerOk(["start", inputs.name]);
        }
    } catch (err) {
        if (/already exists and is not managed/.test((err as Error).message)) {
            throw err; // not ours: leave it alone
        }
        const logs = await docker(["logs", "--tail", "5", inputs.name]);
        await docker(["rm", "-f", inputs.name]);
        const log = logs.code === 0 ? `; container log: ${lastLine(logs.stderr || logs.stdout)}` : "";
        throw new Error(`${(err as Error).message}${log}`);
    }
    return { ...inputs, containerId, imageId };
}

export const containerProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: State, news: ContainerInputs) {
        const replaces = REPLACE_KEYS.filter((k) => !same(olds[k], news[k]));
        // Fixed names: the old container must go before the new one can take its name.
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
    },
    async create(inputs: ContainerInputs) {
        const outs = await createContainer(inputs);
        return { id: outs.containerId, outs };
    },
    async update(_id: string, olds: State, news: ContainerInputs) {
        // Only seedFiles can change without replacement, and they matter at creation only.
        return { outs: { ...olds, ...news } };
    },
    async read(id: string, props?: State) {
        const result = await docker(["inspect", "--format", "{{.Id}}", id]);
        if (result.code !== 0) {
            if (isNotFound(result.stderr)) {
                return {}; // gone: the engine will create it again
            }
            throw new Error(`docker inspect ${id} failed: ${lastLine(result.stderr)}`);
        }
        return { id, props };
    },
    async delete(id: string) {
        const result = await docker(["rm", "-f", id]);
        if (result.code !== 0 && !isNotFound(result.stderr)) {
            throw new Error(`docker rm ${id} failed: ${lastLine(result.stderr)}`);
        }
    },
};

export type ContainerArgs = { readonly [K in keyof ContainerInputs]: pulumi.Input<ContainerInputs[K]> };

/** A Docker container with a fixed name; replaced (old one first) when its image or ports change. */
export class Container extends ModuleDynamicResource {
    public readonly containerId!: pulumi.Output<string>;
    public readonly imageId!: pulumi.Output<string>;
    public readonly name!: pulumi.Output<string>;

    constructor(name: string, args: ContainerArgs, opts?: pulumi.CustomResourceOptions) {
        super({ module: __filename, exportName: "containerProvider" }, name, { ...args, containerId: undefined }, opts);
    }
}
