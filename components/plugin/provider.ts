// The component provider other Pulumi languages reach through `pulumi package add` (PulumiPlugin.yaml
// at the repository's root): it serves the checked-in schema (components/plugin/schema.json, inferred
// from the TypeScript args by scripts/schema.ts; a unit test fails when they drift) and constructs
// Proxy and App. Serving a file, not inferring on every start, keeps the TypeScript compiler out of
// every `pulumi up` of a Python or YAML program.
import * as fs from "fs";
import * as path from "path";
import type {
    CheckResult,
    ConstructResult,
    CreateResult,
    DiffResult,
    Provider,
    ReadResult,
    UpdateResult,
} from "@pulumi/pulumi/provider";
import * as pulumi from "../sdk";
import { App, type AppArgs } from "../app";
import { Proxy, type ProxyArgs } from "../proxy";
import { providerOfPackageType } from "../providers/dynamicResource";
import { proxyOfRef, rememberProxy } from "./proxyRefs";

/** The package's root: bin/components/plugin/ is three levels below it. */
const ROOT = path.resolve(__dirname, "..", "..", "..");
/** Where the schema is kept: beside this file's source, which `npm pack` ships with bin/. */
export const SCHEMA_FILE = path.join(ROOT, "components", "plugin", "schema.json");

interface PackageSchema {
    readonly version: string;
    readonly resources: Record<string, { readonly properties?: Record<string, unknown> }>;
}

export class BluegreenProvider implements Provider {
    public readonly version: string;
    /** The schema's JSON text, as the engine asks for it. */
    public readonly schema: string;
    private readonly parsed: PackageSchema;

    constructor(schemaText: string = fs.readFileSync(SCHEMA_FILE, "utf8")) {
        this.schema = schemaText;
        this.parsed = JSON.parse(schemaText) as PackageSchema;
        this.version = this.parsed.version;
    }

    async construct(
        name: string,
        type: string,
        inputs: pulumi.Inputs,
        options: pulumi.ComponentResourceOptions,
    ): Promise<ConstructResult> {
        const resource = await this.build(name, type, inputs, options);
        // The outputs are the class's Output properties the schema lists.
        const outputs = Object.keys(this.parsed.resources[type]?.properties ?? {});
        const state: Record<string, unknown> = {};
        for (const key of outputs) {
            state[key] = (resource as unknown as Record<string, unknown>)[key];
        }
        return { urn: resource.urn, state };
    }

    // The resources of the providers in components/providers/, as the Node dynamic provider plugin
    // would run them for a TypeScript program (components/providers/dynamicResource.ts).
    async check(urn: string, olds: pulumi.Inputs, news: pulumi.Inputs): Promise<CheckResult> {
        const p = providerOf(urn);
        return p.check ? p.check(olds, news) : { inputs: news };
    }

    async diff(id: string, urn: string, olds: pulumi.Inputs, news: pulumi.Inputs): Promise<DiffResult> {
        const p = providerOf(urn);
        return p.diff ? p.diff(id, olds, news) : {};
    }

    async create(urn: string, inputs: pulumi.Inputs): Promise<CreateResult> {
        return providerOf(urn).create(inputs);
    }

    async read(id: string, urn: string, props?: pulumi.Inputs): Promise<ReadResult> {
        const p = providerOf(urn);
        return p.read ? p.read(id, props) : { id, props };
    }

    async update(id: string, urn: string, olds: pulumi.Inputs, news: pulumi.Inputs): Promise<UpdateResult> {
        const p = providerOf(urn);
        return p.update ? p.update(id, olds, news) : { outs: news };
    }

    async delete(id: string, urn: string, props: pulumi.Inputs): Promise<void> {
        await providerOf(urn).delete?.(id, props);
    }

    private async build(
        name: string,
        type: string,
        inputs: pulumi.Inputs,
        options: pulumi.ComponentResourceOptions,
    ): Promise<Proxy | App> {
        switch (type) {
            case "bluegreen:index:Proxy": {
                const proxy = new Proxy(name, inputs as ProxyArgs, options);
                await rememberProxy(proxy);
                return proxy;
            }
            case "bluegreen:index:App": {
                const proxy = await proxyOfRef(name, inputs.proxy);
                return new App(name, { ...(inputs as unknown as AppArgs), proxy }, options);
            }
            default:
                throw new Error(`bluegreen has no component ${JSON.stringify(type)}: Proxy and App only`);
        }
    }
}

/** The provider of a resource by its URN's type (`urn:pulumi:stack::project::parent$type::name`). */
function providerOf(urn: string): pulumi.dynamic.ResourceProvider {
    const type = urn.split("::")[2]?.split("$").pop() ?? "";
    const provider = providerOfPackageType(type);
    if (provider === undefined) {
        throw new Error(`bluegreen's plugin serves no resource of type ${JSON.stringify(type)}`);
    }
    return provider;
}
