// The package's plugin for other languages (components/plugin/): the schema it serves, how it finds
// the Proxy an App names, and the providers it serves in the Node dynamic provider plugin's place.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { BluegreenProvider, SCHEMA_FILE } from "../../components/plugin/provider";
import { proxyOfRef } from "../../components/plugin/proxyRefs";
import { packageTypeOf, providerOfPackageType } from "../../components/providers/dynamicResource";

const PROVIDERS_DIR = path.resolve(__dirname, "../../components/providers");

describe("the package's plugin (components/plugin)", () => {
    it("serves the checked-in schema under the package's version", async () => {
        const provider = new BluegreenProvider();
        assert.strictEqual(provider.schema, fs.readFileSync(SCHEMA_FILE, "utf8"));
        assert.strictEqual(provider.version, require("../../../package.json").version);
        assert.deepStrictEqual(Object.keys(JSON.parse(provider.schema).resources), [
            "bluegreen:index:Proxy",
            "bluegreen:index:App",
        ]);
    });

    it("serves every provider of components/providers under a type of its own, and nothing else", () => {
        const modules = fs.readdirSync(PROVIDERS_DIR).filter((f) => f.endsWith(".js"));
        let served = 0;
        for (const file of modules) {
            const stem = path.basename(file, ".js");
            const exported = require(path.join(PROVIDERS_DIR, file))[`${stem}Provider`];
            if (exported === undefined) {
                continue; // a helper module, not a provider
            }
            const type = packageTypeOf({ module: path.join(PROVIDERS_DIR, file), exportName: `${stem}Provider` });
            assert.match(type, /^bluegreen:providers:[A-Z][A-Za-z]+$/);
            assert.strictEqual(providerOfPackageType(type), exported, type);
            served++;
        }
        assert.ok(served >= 9, `${served} providers`);
        for (const type of [
            "bluegreen:index:App",
            "bluegreen:providers:Nothing",
            "bluegreen:providers:../plugin/main",
            "pulumi-nodejs:dynamic:Resource",
            "bluegreen:providers:healthCheck",
        ]) {
            assert.strictEqual(providerOfPackageType(type), undefined, type);
        }
        assert.throws(
            () => packageTypeOf({ module: path.join(PROVIDERS_DIR, "healthCheck.js"), exportName: "other" }),
            /not named <module>Provider/,
        );
    });

    it("refuses an App whose proxy names no Proxy of the program, in one line naming the input", async () => {
        for (const ref of [undefined, { urn: "urn:pulumi:dev::p::bluegreen:index:Proxy::gone" }, "edge"]) {
            await assert.rejects(proxyOfRef("api", ref), (err: Error) => {
                assert.match(err.message, /^App "api": proxy must be \{ urn: <a bluegreen Proxy's urn> \}/);
                assert.doesNotMatch(err.message, /\n/);
                return true;
            });
        }
    });

    it("refuses a component type it does not have", async () => {
        await assert.rejects(
            new BluegreenProvider().construct("x", "bluegreen:index:Gateway", {}, {}),
            /bluegreen has no component "bluegreen:index:Gateway": Proxy and App only/,
        );
    });
});
