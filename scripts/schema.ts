// The package schema other languages get (components/plugin/schema.json), inferred from the
// TypeScript args of Proxy and App by Pulumi's own analyzer, as `pulumi package add` would infer it
// from source. `npm run schema` rewrites the file; a unit test fails when it and the source drift.
import * as fs from "fs";
import * as path from "path";
import { SCHEMA_FILE } from "../components/plugin/provider";

const ROOT = path.resolve(__dirname, "..", "..");
/** The components the package serves: the classes components/index.ts exports. */
const COMPONENTS = ["Proxy", "App"];

/** What the analyzer finds: each component's inputs and outputs, and the types they use. */
export interface Analysis {
    readonly components: Record<string, unknown>;
    readonly typeDefinitions: Record<string, unknown>;
    readonly dependencies: unknown[];
}

function packageJson(): { name: string; version: string; description: string } {
    return JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
}

/** The analyzer's view of the working tree's sources (about 3 s: it type-checks the project). */
export function analyzePackage(): Analysis {
    // Loaded here: the analyzer loads the TypeScript compiler.
    const { Analyzer } = require("@pulumi/pulumi/provider/experimental/analyzer");
    const pkg = packageJson();
    // The library's entry in source form (package.json's main is the plugin's entry).
    const source = { ...pkg, exports: undefined, main: "components/index.ts" };
    return new Analyzer(ROOT, pkg.name, source, new Set(COMPONENTS)).analyze();
}

/** The schema's JSON text for an analysis, as the file keeps it. */
export function schemaText(analysis: Analysis): string {
    const { generateSchema } = require("@pulumi/pulumi/provider/experimental/schema");
    const pkg = packageJson();
    const { components, typeDefinitions, dependencies } = analysis;
    const schema = generateSchema(pkg.name, pkg.version, pkg.description, components, typeDefinitions, dependencies);
    return `${JSON.stringify(schema, null, 2)}\n`;
}

if (require.main === module) {
    fs.writeFileSync(SCHEMA_FILE, schemaText(analyzePackage()));
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}
