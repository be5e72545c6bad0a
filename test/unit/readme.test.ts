// The README parser behind the walk-through test, on the real README and on small samples.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { stripComment, walkThrough, walkThroughs } from "../support/readme";

const README = fs.readFileSync(path.resolve(__dirname, "../../../README.md"), "utf8");

describe("README walk-throughs", () => {
    it("strips trailing comments but keeps the command", () => {
        assert.strictEqual(stripComment("npm run rollback          # or: pulumi up"), "npm run rollback");
        assert.strictEqual(stripComment("# same as: pulumi up"), "");
        assert.strictEqual(stripComment("curl http://127.0.0.1:8082/   # version=3"), "curl http://127.0.0.1:8082/");
    });

    it("groups sh blocks under the bold label before them", () => {
        const sample = [
            "## Walk-throughs",
            "**Deploy** it:",
            "```sh",
            "pulumi up   # go",
            "```",
            "Text. **Not a label** inside a line.",
            "```sh",
            "curl x",
            "```",
            "```text",
            "not a command",
            "```",
            "**Release**: now",
            "```sh",
            "# a comment only",
            "npm run release -- a:1",
            "```",
            "## Next",
            "**Ignored**",
            "```sh",
            "nope",
            "```",
        ].join("\n");
        assert.deepStrictEqual(walkThroughs(`\n${sample}`), [
            { name: "Deploy", commands: ["pulumi up", "curl x"] },
            { name: "Release", commands: ["npm run release -- a:1"] },
        ]);
    });

    it("ends a label at a sub-heading: blocks under it are examples, not steps", () => {
        const sample = [
            "",
            "## HTTPS",
            "**Turn on**:",
            "```sh",
            "pulumi up",
            "```",
            "### Other",
            "```sh",
            "rm -rf x",
            "```",
        ];
        assert.deepStrictEqual(walkThroughs(sample.join("\n"), "HTTPS"), [
            { name: "Turn on", commands: ["pulumi up"] },
        ]);
    });

    it("finds every walk-through the end-to-end test runs in the real README", () => {
        const all = walkThroughs(README);
        for (const name of ["Deploy", "Release", "Roll back", "Stage", "Preview", "Status", "Clean up"]) {
            assert.ok(walkThrough(all, name).commands.length > 0, name);
        }
        assert.throws(() => walkThrough(all, "Nope"), /README walk-through "Nope" not found; have: Deploy/);
    });
});
