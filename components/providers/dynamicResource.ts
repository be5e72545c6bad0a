// A dynamic resource whose `__provider` names the compiled module that defines its provider.
//
// `pulumi.dynamic.Resource` stores a serialized closure of the provider in every resource's inputs
// and outputs: 10-20 KB each here, copied into every checkpoint, backup and history file of the
// file backend (about 0.5 MB per update), and produced by loading TypeScript and the closure
// serializer on every run. This project's providers live in its own compiled modules, so the text
// is a few lines that load the provider from the checkout the engine runs in: the same for every
// build, so a code change shows no diff. The Node dynamic provider plugin evaluates it as it would
// a closure (`exports.handler()` returns the provider). Like the SDK's own rule for dynamic
// providers, each version of a provider must handle state written by the ones before it.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "../sdk";
import { hostedByPlugin } from "../plugin/hosted";

/** The type token of `pulumi.dynamic.Resource`: the engine routes it to the Node dynamic provider. */
export const DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";

/** The compiled output root (bin/): provider modules are named relative to it. */
const OUT_DIR = path.resolve(__dirname, "..", "..");

/** A provider object exported by a compiled module of this project. */
export interface ProviderRef {
    /** The module's file (its `__filename`), inside bin/. */
    readonly module: string;
    /** The name the module exports the provider under. */
    readonly exportName: string;
}

/** The package's name: a program that installed it finds the providers in its node_modules. */
const PACKAGE_NAME = "bluegreen";

/**
 * The `__provider` text for `ref`. The plugin runs in the program's directory: a program that
 * installed this package finds the module in its copy (`node_modules/bluegreen/bin/`); this
 * checkout, or a program inside it, finds it in `bin/` of that directory or one above. Texts in
 * existing state name the same files (provider modules never move: see components/providers/).
 */
export function providerText(ref: ProviderRef): string {
    const relative = path.relative(OUT_DIR, ref.module).split(path.sep).join("/");
    if (relative.startsWith("..") || !relative.endsWith(".js")) {
        throw new Error(`provider module ${ref.module} is not a compiled module under ${OUT_DIR}`);
    }
    return `exports.handler = function () {
    const fs = require("fs"), path = require("path");
    const relative = ${JSON.stringify(relative)}, exportName = ${JSON.stringify(ref.exportName)};
    let installed;
    try {
        installed = require.resolve(${JSON.stringify(PACKAGE_NAME)} + "/bin/" + relative, { paths: [process.cwd()] });
    } catch {
        installed = undefined;
    }
    if (installed !== undefined) return require(installed)[exportName];
    for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
        const file = path.join(dir, "bin", relative);
        if (fs.existsSync(file)) return require(file)[exportName];
        if (path.dirname(dir) === dir) break;
    }
    throw new Error("bluegreen: bin/" + relative + " not found in node_modules/bluegreen or above " + process.cwd() + "; run npm install (or npm run build here)");
};
`;
}

/** The type a provider's resources have when the package's plugin serves them: `bluegreen:providers:HealthCheck`. */
export function packageTypeOf(ref: ProviderRef): string {
    const stem = path.basename(ref.module, ".js");
    if (ref.exportName !== `${stem}Provider`) {
        throw new Error(`provider ${ref.exportName} of ${ref.module} is not named <module>Provider`);
    }
    return `${PACKAGE_NAME}:providers:${stem[0].toUpperCase()}${stem.slice(1)}`;
}

/** The provider behind a type `packageTypeOf` made, or undefined for any other type. */
export function providerOfPackageType(type: string): pulumi.dynamic.ResourceProvider | undefined {
    const match = /^bluegreen:providers:([A-Z][A-Za-z]*)$/.exec(type);
    if (match === null) {
        return undefined;
    }
    const stem = `${match[1][0].toLowerCase()}${match[1].slice(1)}`;
    const module = path.join(__dirname, `${stem}.js`);
    return fs.existsSync(module) ? require(module)[`${stem}Provider`] : undefined;
}

/** `pulumi.dynamic.Resource` with its provider named by module (see the top of this file). */
export abstract class ModuleDynamicResource extends pulumi.CustomResource {
    /**
     * @param provider where the provider's CRUD operations are exported, as for `pulumi.dynamic.Resource`.
     */
    protected constructor(
        provider: ProviderRef,
        name: string,
        props: pulumi.Inputs,
        opts?: pulumi.CustomResourceOptions,
    ) {
        // Another language's program: the package's plugin serves them (components/plugin/hosted.ts).
        if (hostedByPlugin()) {
            super(packageTypeOf(provider), name, props, opts);
        } else {
            super(DYNAMIC_TYPE, name, { ...props, __provider: providerText(provider) }, opts);
        }
    }
}
