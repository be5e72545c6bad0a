// Dynamic provider: makes an image present on the engine before any container is touched, and
// records what it resolved to (image ID, registry digest), so containers run exactly those bytes.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "../sdk";
import { ModuleDynamicResource } from "./dynamicResource";
import { docker } from "../runtime/docker";
import { firstLine, lastLine } from "../core/text";
import { registryHost, repoDigestOf } from "../core/imageRef";

/** Credentials for registries the Docker client has no login for (`bluegreen:registryAuth`). */
export type RegistryAuth = Record<string, { readonly username: string; readonly password: string }>;

export interface ImageInputs {
    readonly ref: string;
    /** Logins for this ref's registry, if any (a secret in state). */
    readonly registryAuth?: RegistryAuth;
}

export interface ImageState {
    readonly ref: string;
    /** A hash of the logins, so a change shows without keeping passwords in the outputs. */
    readonly registryAuthHash: string;
    /** The local image ID (sha256:…): what containers are created from. */
    readonly imageId: string;
    /** `name@sha256:…` from the registry, or "" for an image that was only built locally. */
    readonly repoDigest: string;
    /** Whether this update pulled it (false: it was already on the engine). */
    readonly pulled: boolean;
}

/** How often a long pull reports progress. */
const PROGRESS_EVERY_MS = 5000;

/** `docker pull`, printing progress on long pulls; one line naming the image and the registry's answer on failure. */
function pull(ref: string, configDir: string | undefined): Promise<void> {
    const args = [...(configDir ? ["--config", configDir] : []), "pull", ref];
    return new Promise((resolve, reject) => {
        const started = Date.now();
        const child = childProcess.spawn("docker", args, { stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        const timer = setInterval(() => {
            const seconds = Math.round((Date.now() - started) / 1000);
            console.error(`pulling ${ref} (${seconds} s): ${lastLine(output)}`);
        }, PROGRESS_EVERY_MS);
        const done = (err?: Error) => {
            clearInterval(timer);
            if (err) reject(err);
            else resolve();
        };
        child.on("error", (err) => done(new Error(`docker pull ${ref} failed to run: ${firstLine(err.message)}`)));
        child.on("close", (code) => {
            if (code === 0) {
                done();
                return;
            }
            const from = registryHost(ref) ?? "Docker Hub";
            done(
                new Error(
                    `image ${ref} could not be pulled from ${from}: ${lastLine(output)}; ` +
                        `nothing was changed (check the tag, docker login ${registryHost(ref) ?? ""}, or bluegreen:registryAuth)`,
                ),
            );
        });
    });
}

/** A Docker client config dir with a login for the ref's registry, when bluegreen:registryAuth has one. */
async function loginDir(ref: string, auth: RegistryAuth | undefined): Promise<string | undefined> {
    const host = registryHost(ref);
    const login = host === undefined ? undefined : auth?.[host];
    if (login === undefined || host === undefined) {
        return undefined; // the Docker client's own config (`docker login`) applies
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-docker-config-"));
    const result = await docker(["--config", dir, "login", host, "--username", login.username, "--password-stdin"], {
        input: login.password,
    });
    if (result.code !== 0) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw new Error(
            `image ${ref}: login to ${host} with bluegreen:registryAuth failed: ${lastLine(result.stderr)}; nothing was changed`,
        );
    }
    return dir;
}

function authHash(auth: RegistryAuth | undefined): string {
    const { createHash } = require("crypto") as typeof import("crypto");
    return auth === undefined ? "" : createHash("sha256").update(JSON.stringify(auth)).digest("hex").slice(0, 16);
}

/**
 * Makes `ref` present. A reference that names a registry host is always pulled, so a tag that
 * moved is resolved now; any other reference is used as it is on the engine (images built
 * locally have no registry) and pulled only when missing.
 */
export async function ensureImage(inputs: ImageInputs): Promise<ImageState> {
    // One inspect answers both "is it here?" and "what is it?" for an image that needs no pull.
    const inspect = () => docker(["image", "inspect", "--format", "{{.Id}} {{json .RepoDigests}}", inputs.ref]);
    let inspected = await inspect();
    const mustPull = inspected.code !== 0 || registryHost(inputs.ref) !== undefined;
    if (mustPull) {
        const configDir = await loginDir(inputs.ref, inputs.registryAuth);
        try {
            await pull(inputs.ref, configDir);
        } finally {
            if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
        }
        inspected = await inspect();
        if (inspected.code !== 0) {
            throw new Error(`image ${inputs.ref} was pulled but cannot be inspected: ${lastLine(inspected.stderr)}`);
        }
    }
    const text = inspected.stdout.trim();
    const imageId = text.split(" ")[0];
    const repoDigest = repoDigestOf(inputs.ref, JSON.parse(text.slice(text.indexOf(" ") + 1)));
    return { ref: inputs.ref, registryAuthHash: authHash(inputs.registryAuth), imageId, repoDigest, pulled: mustPull };
}

export const imageProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: ImageState, news: ImageInputs) {
        const changes = olds.ref !== news.ref || olds.registryAuthHash !== authHash(news.registryAuth);
        return { changes, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: ImageInputs) {
        const outs = await ensureImage(inputs);
        return { id: outs.imageId, outs };
    },
    async update(_id: string, _olds: ImageState, news: ImageInputs) {
        return { outs: await ensureImage(news) };
    },
    // Delete keeps the image: other stacks or a rollback may still need it.
};

/** An image on the engine, pulled when needed before any container that runs it is touched. */
export class Image extends ModuleDynamicResource {
    public readonly imageId!: pulumi.Output<string>;
    public readonly repoDigest!: pulumi.Output<string>;

    constructor(
        name: string,
        args: { readonly [K in keyof ImageInputs]: pulumi.Input<ImageInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            { module: __filename, exportName: "imageProvider" },
            name,
            { ...args, imageId: undefined, repoDigest: undefined, pulled: undefined },
            opts,
        );
    }
}
