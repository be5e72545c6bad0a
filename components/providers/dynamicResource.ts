// A dynamic resource whose serialized provider is cached on disk.
//
// `pulumi.dynamic.Resource` serializes its provider's closure on every run: that loads the
// TypeScript compiler and walks every captured function, about half a second of each `pulumi up`
// on 2 cores. The text only changes when the compiled code does, so it is kept in bin/ under a
// hash of that code, the SDK and Node versions. Same resource type and the same `__provider` text
// as `pulumi.dynamic.Resource`: state, URNs and diffs do not change.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "../sdk";

/** The type token of `pulumi.dynamic.Resource`: the engine routes it to the Node dynamic provider. */
export const DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";
/** Set to 0 to serialize on every run, as `pulumi.dynamic.Resource` does. */
export const CACHE_ENV = "BLUEGREEN_PROVIDER_CACHE";

/** The compiled components (bin/components): every module a provider's closure can capture. */
const COMPONENTS_DIR = path.resolve(__dirname, "..");
const CACHE_DIR = path.join(COMPONENTS_DIR, "..", ".provider-cache");

let codeHash: string | undefined;

/** A hash of everything the serialized text depends on; computed once per run (about 2 ms). */
export function providerCodeHash(dir = COMPONENTS_DIR): string {
    if (codeHash !== undefined && dir === COMPONENTS_DIR) {
        return codeHash;
    }
    const hash = createHash("sha256");
    const sdk = require("@pulumi/pulumi/package.json") as { version: string };
    hash.update(`${sdk.version}\0${process.version}\0${dir}\0`);
    const walk = (current: string) => {
        for (const entry of fs
            .readdirSync(current, { withFileTypes: true })
            .sort((a, b) => (a.name < b.name ? -1 : 1))) {
            const full = path.join(current, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.name.endsWith(".js")) {
                hash.update(`${path.relative(dir, full)}\0`).update(fs.readFileSync(full));
            }
        }
    };
    walk(dir);
    const digest = hash.digest("hex").slice(0, 16);
    if (dir === COMPONENTS_DIR) {
        codeHash = digest;
    }
    return digest;
}

const inProcess = new Map<string, Promise<string>>();

/** What `pulumi.dynamic.Resource` does on every run; loads the serializer (and TypeScript) on demand. */
async function serialize(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
    const closure =
        require("@pulumi/pulumi/runtime/closure/serializeClosure") as typeof import("@pulumi/pulumi/runtime/closure/serializeClosure");
    return (await closure.serializeFunction(() => provider)).text;
}

/**
 * The provider's serialized text, from the cache when the code is unchanged. Only a program run by
 * the Pulumi engine uses the cache: the serializer's output depends on the order modules were loaded
 * in, which is fixed for the program but not for, say, a test process with Pulumi mocks.
 */
export function serializedProvider(
    key: string,
    provider: pulumi.dynamic.ResourceProvider,
    cacheDir: string | undefined = process.env.PULUMI_NODEJS_ENGINE ? CACHE_DIR : undefined,
): Promise<string> {
    if (cacheDir === undefined || process.env[CACHE_ENV] === "0") {
        return serialize(provider);
    }
    const file = path.join(cacheDir, `${key}-${providerCodeHash()}.js`);
    let pending = inProcess.get(file);
    if (pending === undefined) {
        pending = readOrSerialize(file, provider);
        inProcess.set(file, pending);
    }
    return pending;
}

async function readOrSerialize(file: string, provider: pulumi.dynamic.ResourceProvider): Promise<string> {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        // Not cached yet: serialize as pulumi.dynamic.Resource does, then keep it for the next run.
    }
    const text = await serialize(provider);
    try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const partial = `${file}.${process.pid}.partial`;
        fs.writeFileSync(partial, text);
        fs.renameSync(partial, file);
    } catch {
        // A read-only bin/ only costs the next run the serialization again.
    }
    return text;
}

/** `pulumi.dynamic.Resource` with a cached provider text (see the top of this file). */
export abstract class CachedDynamicResource extends pulumi.CustomResource {
    /**
     * @param key names the provider in the cache (one per provider object).
     * @param provider the provider's CRUD operations, as for `pulumi.dynamic.Resource`.
     */
    protected constructor(
        key: string,
        provider: pulumi.dynamic.ResourceProvider,
        name: string,
        props: pulumi.Inputs,
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(DYNAMIC_TYPE, name, { ...props, __provider: serializedProvider(key, provider) }, opts);
    }
}
