// The layout's one hard rule, as lint enforces it: components/core/ is pure (no Pulumi SDK, no I/O,
// nothing from outside the core). The real lint run is part of make test; this proves the rule bites.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "../../..");
// Loaded lazily: ESLint is a dev dependency only the tests and `make lint` need.
type Message = { ruleId: string | null; message: string };
type LintResult = { messages: Message[] };
function lint(file: string, text: string): Promise<LintResult[]> {
    const { ESLint } = require("eslint") as {
        ESLint: new (o: { cwd: string }) => { lintText(t: string, o: { filePath: string }): Promise<LintResult[]> };
    };
    return new ESLint({ cwd: REPO }).lintText(text, { filePath: path.join(REPO, file) });
}

async function complaints(file: string, text: string): Promise<string[]> {
    const [result] = await lint(file, text);
    return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe("layout: the pure core", function () {
    this.timeout(60000);

    const forbidden: [string, string][] = [
        ["components/core/x.ts", `import * as fs from "fs";\nexport const a = fs;\n`],
        ["components/core/x.ts", `import * as cp from "node:child_process";\nexport const a = cp;\n`],
        ["components/core/x.ts", `import * as pulumi from "@pulumi/pulumi";\nexport const a = pulumi;\n`],
        ["components/core/x.ts", `import { docker } from "../runtime/docker";\nexport const a = docker;\n`],
        ["components/core/nginx/x.ts", `import { run } from "../../runtime/process";\nexport const a = run;\n`],
        ["components/core/x.ts", `export const a = require("axios");\n`],
    ];
    for (const [file, text] of forbidden) {
        it(`refuses ${text.split("\n")[0]} in ${file}`, async () => {
            const found = await complaints(file, text);
            assert.ok(
                found.some((c) => /no-restricted-(imports|syntax)/.test(c)),
                `expected a core purity complaint, got: ${found.join("; ") || "none"}`,
            );
        });
    }

    it("allows the core's own modules and Node's pure ones (crypto)", async () => {
        const text = `import { createHash } from "crypto";\nimport { Color } from "../color";\nexport const a: Color = "blue";\nexport const h = createHash;\n`;
        assert.deepStrictEqual(await complaints("components/core/nginx/x.ts", text), []);
    });

    it("holds for every file in components/core today", async () => {
        const dir = path.join(REPO, "components/core");
        const files = fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
        assert.ok(files.length > 10, `expected the core's modules, found ${files.length}`);
        for (const file of files) {
            const text = fs.readFileSync(path.join(dir, file), "utf8");
            assert.deepStrictEqual(await complaints(`components/core/${file}`, text), [], file);
        }
    });
});
