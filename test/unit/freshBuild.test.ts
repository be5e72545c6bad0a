// scripts/freshBuild.js: what `pulumi up` runs is the working tree's code, never a stale bin/.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "../../..");

interface FreshBuild {
    programSources(root: string, roots?: string[]): string[];
    staleSources(root: string, outDir: string, roots?: string[]): string[];
    orphanedOutputs(root: string, outDir: string, roots: string[]): string[];
    refresh(root?: string, outDir?: string, roots?: string[]): string[];
}
const freshBuild = require(path.join(REPO, "scripts/freshBuild.js")) as FreshBuild;

function tempProject(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-freshbuild-"));
    fs.copyFileSync(path.join(REPO, "tsconfig.json"), path.join(root, "tsconfig.json"));
    fs.mkdirSync(path.join(root, "components"));
    fs.writeFileSync(
        path.join(root, "index.ts"),
        `import { answer } from "./components/answer";\nexport const out = answer;\n`,
    );
    fs.writeFileSync(path.join(root, "components/answer.ts"), `export const answer: number = 1;\n`);
    return root;
}

function load(file: string): { out: number } {
    delete require.cache[require.resolve(file)];
    for (const key of Object.keys(require.cache).filter((k) => k.includes("bluegreen-freshbuild-"))) {
        delete require.cache[key];
    }
    return require(file) as { out: number };
}

describe("fresh build (scripts/freshBuild.js)", () => {
    const roots: string[] = [];
    after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

    it("transpiles a missing build, then nothing until a source is edited", () => {
        const root = tempProject();
        roots.push(root);
        const bin = path.join(root, "bin");
        assert.deepStrictEqual(freshBuild.refresh(root, bin), ["index.ts", "components/answer.ts"]);
        assert.strictEqual(load(path.join(bin, "index.js")).out, 1);
        assert.deepStrictEqual(freshBuild.refresh(root, bin), []);

        // An edit after the build, as a user makes before a plain `pulumi up`.
        const source = path.join(root, "components/answer.ts");
        fs.writeFileSync(source, `export const answer: number = 2;\n`);
        const later = new Date(Date.now() + 5000);
        fs.utimesSync(source, later, later);
        assert.deepStrictEqual(freshBuild.staleSources(root, bin), ["components/answer.ts"]);
        assert.deepStrictEqual(freshBuild.refresh(root, bin), ["components/answer.ts"]);
        assert.strictEqual(load(path.join(bin, "index.js")).out, 2);
    });

    it("removes compiled files whose source moved, so a module moved into a folder loads the new one", () => {
        const root = tempProject();
        roots.push(root);
        const bin = path.join(root, "bin");
        freshBuild.refresh(root, bin);
        // components/answer.ts becomes components/answer/index.ts, as nginx.ts became nginx/index.ts.
        fs.mkdirSync(path.join(root, "components/answer"));
        fs.renameSync(path.join(root, "components/answer.ts"), path.join(root, "components/answer/index.ts"));
        fs.writeFileSync(path.join(root, "components/answer/index.ts"), `export const answer: number = 3;\n`);
        assert.deepStrictEqual(freshBuild.orphanedOutputs(root, bin, ["index.ts", "components"]), [
            "components/answer.js",
        ]);
        freshBuild.refresh(root, bin);
        assert.ok(!fs.existsSync(path.join(bin, "components/answer.js")), "the old module's output is gone");
        assert.strictEqual(load(path.join(bin, "index.js")).out, 3);
    });

    it("refuses a source that does not parse, in one line naming the file and line", () => {
        const root = tempProject();
        roots.push(root);
        fs.writeFileSync(path.join(root, "components/answer.ts"), `export const answer = ;\n`);
        assert.throws(
            () => freshBuild.refresh(root, path.join(root, "bin")),
            (err: Error) => /^components\/answer\.ts:1: Expression expected\.$/.test(err.message),
        );
    });

    it("emits what tsc emits for every program, helper and component source", () => {
        // bin/ was written by tsc (make build); transpile the same sources elsewhere and compare.
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-freshbuild-out-"));
        roots.push(out);
        const sources = freshBuild.programSources(REPO, ["index.ts", "components", "scripts"]);
        assert.ok(sources.length > 15, `${sources.length} sources`);
        assert.deepStrictEqual(freshBuild.refresh(REPO, out, ["index.ts", "components", "scripts"]), sources);
        for (const rel of sources) {
            const js = rel.replace(/\.ts$/, ".js");
            const byTsc = fs
                .readFileSync(path.join(REPO, "bin", js), "utf8")
                .replace(/\n\/\/# sourceMappingURL=.*$/, "");
            // A file transpiled by a `pulumi up` since the build has no source map comment either.
            assert.strictEqual(fs.readFileSync(path.join(out, js), "utf8").trimEnd(), byTsc.trimEnd(), js);
        }
    });
});
