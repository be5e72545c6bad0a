// The public API stays within what Pulumi's component schema inference can express (the analyzer
// `pulumi package add` runs on a TypeScript component package): interfaces, string-literal enums,
// no functions. Run the SDK's own analyzer on this package and check what other languages will see,
// and that the schema the package's plugin serves (components/plugin/schema.json) is that one.
import * as assert from "assert";
import * as fs from "fs";
import { SCHEMA_FILE } from "../../components/plugin/provider";
import { analyzePackage, schemaText } from "../../scripts/schema";

interface Property {
    readonly type?: string;
    readonly $ref?: string;
    readonly optional?: boolean;
    readonly plain?: boolean;
    readonly description?: string;
}
interface Component {
    readonly inputs: Record<string, Property>;
    readonly outputs: Record<string, Property>;
    readonly description?: string;
}
interface Analysis {
    readonly components: Record<string, Component>;
    readonly typeDefinitions: Record<string, { readonly enum?: { value: string }[]; readonly properties?: object }>;
}

describe("the component schema other languages get (Pulumi's analyzer)", function () {
    this.timeout(60000);
    let schema: Analysis;

    before(() => {
        schema = analyzePackage() as unknown as Analysis;
    });

    it("is the schema the package's plugin serves: npm run schema rewrites it after a change", () => {
        const served = fs.readFileSync(SCHEMA_FILE, "utf8");
        assert.ok(
            served === schemaText(schema as never),
            `${SCHEMA_FILE} differs from the schema the sources give: run npm run build && npm run schema`,
        );
    });

    it("infers Proxy and App with every argument documented, stating its default when optional", () => {
        for (const name of ["Proxy", "App"]) {
            const component = schema.components[name];
            assert.ok(component, `${name} inferred`);
            assert.ok(component.description, `${name} has a description`);
            for (const [arg, property] of Object.entries(component.inputs)) {
                assert.ok(property.description, `${name}.${arg} has a doc comment`);
                if (property.optional) {
                    assert.match(property.description!, /Default/, `${name}.${arg} states its default`);
                }
            }
        }
    });

    it("takes the settings as Inputs, but engine and orchestrator as plain enums (they decide the resources)", () => {
        const proxy = schema.components.Proxy.inputs;
        for (const arg of ["publicPort", "httpsPort", "image", "tlsCertificate", "tlsKey", "tlsRedirect"]) {
            assert.ok(proxy[arg], arg);
            assert.notStrictEqual(proxy[arg].plain, true, `${arg} takes an Output`);
        }
        assert.deepStrictEqual(
            [proxy.engine, proxy.orchestrator].map((p) => [p.$ref, p.plain]),
            [
                ["#/types/bluegreen:index:Engine", true],
                ["#/types/bluegreen:index:Orchestrator", true],
            ],
        );
        const values = (type: string) => schema.typeDefinitions[type].enum!.map((e) => e.value);
        assert.deepStrictEqual(values("Engine"), ["auto", "docker-provider", "docker-cli"]);
        assert.deepStrictEqual(values("Orchestrator"), ["docker", "swarm"]);
        assert.deepStrictEqual(values("Color"), ["blue", "green"]);
    });

    it("has the App's required inputs and every output the issue names", () => {
        const app = schema.components.App;
        for (const arg of ["proxy", "liveColor", "blueImage", "greenImage"]) {
            assert.notStrictEqual(app.inputs[arg].optional, true, `${arg} is required`);
        }
        assert.strictEqual(app.inputs.liveColor.$ref, "#/types/bluegreen:index:Color");
        for (const output of [
            "liveColor",
            "liveImage",
            "standbyColor",
            "url",
            "blueUrl",
            "greenUrl",
            "digests",
            "canary",
            "verification",
            "maintenance",
            "certificate",
            "engine",
        ]) {
            assert.ok(app.outputs[output], `App output ${output}`);
            assert.ok(app.outputs[output].description, `App output ${output} documented`);
        }
    });
});
