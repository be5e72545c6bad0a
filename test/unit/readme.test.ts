// The documentation as tests see it: the walk-through parser on samples, then the real README.md and
// docs/*.md against the one registry of what the end-to-end tests run (test/support/readme.ts).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    allWalkThroughs,
    CI_COMMANDS,
    claimName,
    CLAIMS,
    commandsOf,
    DOCS_TEST,
    documentationPages,
    pageWalkThroughs,
    README_TEST,
    REPO,
    stripComment,
    walkThrough,
    walkThroughs,
} from "../support/readme";

const read = (file: string) => fs.readFileSync(path.join(REPO, file), "utf8");
const PAGES = documentationPages();

/** GitHub's anchor for a heading: lower-case, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

/** The anchors a page's headings make (a repeated heading gets -1, -2, ...), outside fenced blocks. */
function anchors(text: string): Set<string> {
    const seen = new Map<string, number>();
    const found = new Set<string>();
    let fenced = false;
    for (const line of text.split("\n")) {
        if (/^```/.test(line)) {
            fenced = !fenced;
            continue;
        }
        const heading = /^#{1,6}\s+(.*)$/.exec(line);
        if (!fenced && heading) {
            const base = slug(heading[1]);
            const n = seen.get(base) ?? 0;
            seen.set(base, n + 1);
            found.add(n === 0 ? base : `${base}-${n}`);
        }
    }
    return found;
}

/** The page's text outside fenced blocks (links and names inside code samples are not links). */
function prose(text: string): string {
    return text.replace(/^```[^\n]*\n[\s\S]*?^```\s*$/gm, "");
}

describe("documentation walk-throughs: the parser", () => {
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

    it("reads every section of a page, skips other fences whole, and reports an unlabelled sh block by its line", () => {
        const sample = [
            "# Page",
            "```sh",
            "make x",
            "```",
            "## One",
            "**Try**:",
            "```text",
            "**Not a label**",
            "# not a heading",
            "```",
            "```sh",
            "npm run a",
            "```",
            "## Two",
            "**Try**:",
            "```sh",
            "npm run b",
            "```",
        ].join("\n");
        assert.deepStrictEqual(pageWalkThroughs(sample, "docs/x.md"), [
            { file: "docs/x.md", section: "", label: undefined, line: 2, commands: ["make x"] },
            { file: "docs/x.md", section: "One", label: "Try", line: 11, commands: ["npm run a"] },
            { file: "docs/x.md", section: "Two", label: "Try", line: 16, commands: ["npm run b"] },
        ]);
    });

    it("finds the README walk-throughs by label and names the ones there are when one is missing", () => {
        const all = walkThroughs(read("README.md"));
        for (const name of ["Deploy", "Release", "Roll back", "Stage", "Preview", "Status", "Clean up"]) {
            assert.ok(walkThrough(all, name).commands.length > 0, name);
        }
        assert.throws(() => walkThrough(all, "Nope"), /README walk-through "Nope" not found; have: Deploy, Roll back/);
    });
});

describe("documentation walk-throughs: every sh block is run by a test", () => {
    it("reads README.md and every docs/*.md page", () => {
        assert.strictEqual(PAGES[0], "README.md");
        assert.ok(PAGES.length > 10, `expected the docs/ pages, found ${PAGES.join(", ")}`);
    });

    it("every sh block in README.md and docs/*.md has a bold label and a test that claims it", () => {
        const unclaimed: string[] = [];
        for (const page of PAGES) {
            for (const w of allWalkThroughs(page)) {
                if (w.label === undefined) {
                    unclaimed.push(`${page}:${w.line}: an sh block with no bold label before it (fence it as text?)`);
                } else if (!CLAIMS.some((c) => c.file === page && c.label === w.label)) {
                    unclaimed.push(
                        `${page}:${w.line}: "${w.label}" is an sh block no test runs: add it to CLAIMS in ` +
                            `test/support/readme.ts with a check in ${README_TEST} or ${DOCS_TEST}, or fence it as text`,
                    );
                }
            }
        }
        assert.deepStrictEqual(unclaimed, []);
    });

    it("every claim names one walk-through of its page, with commands its test runs", () => {
        const problems: string[] = [];
        for (const claim of CLAIMS) {
            const same = allWalkThroughs(claim.file).filter((w) => w.label === claim.label);
            if (same.length !== 1) {
                problems.push(`${claimName(claim)}: ${same.length} walk-throughs have this label (want 1)`);
                continue;
            }
            if (commandsOf(claim).length === 0) {
                problems.push(`${claimName(claim)}: nothing to run but CI's own commands`);
            }
        }
        const keys = CLAIMS.map(claimName);
        problems.push(...keys.filter((k, i) => keys.indexOf(k) !== i).map((k) => `${k}: claimed twice`));
        assert.deepStrictEqual(problems, []);
    });

    it("CI's own commands (make test) are in a claimed walk-through, so they are documented where the tests look", () => {
        for (const command of CI_COMMANDS) {
            const where = CLAIMS.filter((c) =>
                allWalkThroughs(c.file).some((w) => w.label === c.label && w.commands.includes(command)),
            );
            assert.strictEqual(where.length, 1, command);
        }
    });

    it("shell blocks are either sh (run by a test) or text (the reader's own values, or output)", () => {
        const problems: string[] = [];
        for (const page of PAGES) {
            read(page)
                .split("\n")
                .forEach((line, i) => {
                    const tag = /^```(bash|shell|console|zsh|shell-session)\s*$/.exec(line);
                    if (tag) {
                        problems.push(`${page}:${i + 1}: \`\`\`${tag[1]}: fence it as sh (and claim it) or as text`);
                    }
                });
        }
        assert.deepStrictEqual(problems, []);
    });
});

describe("documentation: pages, links and coverage", () => {
    it("README.md is a newcomer's page (at most about 250 lines) that links to every docs/ page", () => {
        const readme = read("README.md");
        const lines = readme.split("\n").length;
        assert.ok(lines <= 260, `README.md has ${lines} lines`);
        for (const page of PAGES.slice(1)) {
            assert.ok(readme.includes(`](${page})`), `README.md does not link to ${page}`);
        }
    });

    it("every relative link and anchor in README.md and docs/*.md resolves", () => {
        const broken: string[] = [];
        for (const page of PAGES) {
            for (const match of prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = match[1];
                if (/^[a-z]+:/.test(target)) {
                    continue; // https:, mailto:
                }
                const [file, anchor] = target.split("#");
                const resolved = file === "" ? page : path.normalize(path.join(path.dirname(page), file));
                if (!fs.existsSync(path.join(REPO, resolved))) {
                    broken.push(`${page}: ${target}: no such file`);
                } else if (anchor !== undefined && resolved.endsWith(".md") && !anchors(read(resolved)).has(anchor)) {
                    broken.push(`${page}: ${target}: ${resolved} has no heading with that anchor`);
                }
            }
        }
        assert.deepStrictEqual(broken, []);
    });

    it("every stack config key (Pulumi.yaml) is in docs/config.md's table", () => {
        const keys = [...read("Pulumi.yaml").matchAll(/^ {2}bluegreen:(\w+):/gm)].map((m) => m[1]);
        assert.ok(keys.length > 25, `found ${keys.length} keys`);
        const table = read("docs/config.md")
            .split("\n")
            .filter((l) => l.startsWith("| `"))
            .join("\n");
        assert.deepStrictEqual(
            keys.filter((k) => !table.includes(`\`${k}\``)),
            [],
        );
    });

    it("every make target and npm script is documented somewhere", () => {
        const text = PAGES.map(read).join("\n");
        const targets = [...read("Makefile").matchAll(/^([a-z][a-z-]*):/gm)].map((m) => m[1]);
        const scripts = Object.keys((JSON.parse(read("package.json")) as { scripts: object }).scripts);
        const missing = [
            ...targets.filter((t) => !text.includes(`make ${t}`)),
            ...scripts.filter((s) => !text.includes(`npm run ${s}`) && !text.includes(`\`${s}\``)),
        ];
        assert.deepStrictEqual(missing, []);
    });
});
