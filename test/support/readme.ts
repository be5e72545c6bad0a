// Reads the walk-throughs out of README.md and docs/*.md, so the tests run what users read, and
// holds the one registry of which test runs which walk-through.
//
// The convention (README.md, "Walk-throughs"): a fenced block tagged `sh` is a walk-through the
// tests run exactly as written, from a fresh clone's root after `. scripts/env.sh`; it belongs to the
// bold label of the paragraph before it (`**Release** a new image: ...`). A block that needs the
// reader's own values (hosts, domains, registries, a second machine) is fenced `text` instead.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The repository root (this file runs from bin/test/support/). */
export const REPO = path.resolve(__dirname, "../../..");

export interface WalkThrough {
    /** The bold label that opens it, e.g. "Release". */
    readonly name: string;
    /** Its shell commands, in order, without comments. */
    readonly commands: string[];
}

/** A walk-through of any page: where it is, and what it runs. */
export interface PageWalkThrough {
    /** The page, relative to the repository root: `README.md`, `docs/https.md`. */
    readonly file: string;
    /** The `## ` heading it is under ("" before the first one). */
    readonly section: string;
    /** The bold label before it; undefined for an `sh` block with none (an error the unit test names). */
    readonly label: string | undefined;
    /** The 1-based line of its first `sh` block. */
    readonly line: number;
    readonly commands: string[];
}

/** A command line without its trailing `# comment` (comments here never follow quotes). */
export function stripComment(line: string): string {
    return line.replace(/(^|\s)#.*$/, "").trim();
}

/**
 * Every `sh` block of a page's text, grouped by the bold label of the paragraph before it, in page
 * order. A heading ends a label (blocks under a sub-heading need a label of their own); several
 * blocks under one label are one walk-through, their commands in order. Other fences (`text`,
 * `ts`, none) are skipped whole, so nothing inside them is read as a label or a heading.
 */
export function pageWalkThroughs(text: string, file = "(text)"): PageWalkThrough[] {
    const found: PageWalkThrough[] = [];
    let section = "";
    let label: string | undefined;
    let current: PageWalkThrough | undefined;
    let fence: "sh" | "other" | undefined;
    text.split("\n").forEach((line, index) => {
        if (fence !== undefined) {
            if (/^```\s*$/.test(line)) {
                fence = undefined;
            } else if (fence === "sh") {
                const command = stripComment(line);
                if (command !== "") {
                    current!.commands.push(command);
                }
            }
            return;
        }
        const open = /^```(\S*)/.exec(line);
        if (open) {
            fence = open[1] === "sh" ? "sh" : "other";
            if (fence === "sh") {
                const same = found.find((w) => w.label !== undefined && w.label === label && w.section === section);
                current = same ?? { file, section, label, line: index + 1, commands: [] };
                if (same === undefined) {
                    found.push(current);
                }
            }
            return;
        }
        const heading = /^(#+)\s+(.*)$/.exec(line);
        const bold = /^\*\*([^*]+)\*\*/.exec(line);
        if (heading) {
            label = undefined;
            if (heading[1] === "##") {
                section = heading[2].trim();
            }
        } else if (bold) {
            label = bold[1];
        }
    });
    return found;
}

/** The walk-throughs of one section of a page (README's "Walk-throughs" by default), by label. */
export function walkThroughs(text: string, section = "Walk-throughs"): WalkThrough[] {
    if (!text.includes(`\n## ${section}\n`)) {
        throw new Error(`no "## ${section}" section`);
    }
    return pageWalkThroughs(text)
        .filter((w) => w.section === section && w.label !== undefined)
        .map((w) => ({ name: w.label!, commands: w.commands }));
}

/** Every walk-through of a page in the repository (`README.md`, `docs/https.md`). */
export function allWalkThroughs(file: string, root = REPO): PageWalkThrough[] {
    return pageWalkThroughs(fs.readFileSync(path.join(root, file), "utf8"), file);
}

/** The pages walk-throughs may be on: README.md and every docs/*.md. */
export function documentationPages(root = REPO): string[] {
    const docs = fs.existsSync(path.join(root, "docs"))
        ? fs
              .readdirSync(path.join(root, "docs"))
              .filter((f) => f.endsWith(".md"))
              .sort()
              .map((f) => `docs/${f}`)
        : [];
    return ["README.md", ...docs];
}

/** The walk-through with this label; throws naming the labels there are, so drift is caught. */
export function walkThrough(all: WalkThrough[], name: string): WalkThrough {
    const found = all.find((w) => w.name === name);
    if (found === undefined || found.commands.length === 0) {
        throw new Error(`README walk-through "${name}" not found; have: ${all.map((w) => w.name).join(", ")}`);
    }
    return found;
}

// ---------------------------------------------------------------------------------------------
// The registry: which test runs which walk-through. The unit test (test/unit/readme.test.ts) fails
// on any `sh` block of README.md or docs/*.md that no entry claims; each test below builds its steps
// by iterating its own entries, so an entry cannot exist without a run.

export const README_TEST = "test/e2e/readme.test.ts";
export const DOCS_TEST = "test/docs/docs.test.ts";
export type WalkThroughTest = typeof README_TEST | typeof DOCS_TEST;

export interface Claim {
    readonly file: string;
    readonly label: string;
    readonly test: WalkThroughTest;
}

/**
 * Commands in a claimed walk-through that its test does not run, because CI runs them itself:
 * `make test` is CI's own command (it runs the tests that run the walk-throughs).
 */
export const CI_COMMANDS: readonly string[] = ["make test"];

/** Every walk-through a test runs, in the order each test runs its own. */
export const CLAIMS: readonly Claim[] = [
    // A fresh clone, the dev stack on port 8080; once per engine (test:e2e).
    { file: "README.md", label: "Start", test: README_TEST },
    { file: "README.md", label: "Deploy", test: README_TEST },
    { file: "README.md", label: "Roll back", test: README_TEST },
    { file: "README.md", label: "Stage", test: README_TEST },
    { file: "README.md", label: "Release", test: README_TEST },
    { file: "README.md", label: "Preview", test: README_TEST },
    { file: "README.md", label: "Status", test: README_TEST },
    { file: "docs/https.md", label: "Turn HTTPS on", test: README_TEST },
    { file: "docs/https.md", label: "Turn HTTPS off", test: README_TEST },
    { file: "docs/maintenance.md", label: "Maintenance", test: README_TEST },
    { file: "README.md", label: "Clean up", test: README_TEST },
    // Another fresh clone after `make demo`, the same dev stack; once (test:docs).
    { file: "docs/toolchain.md", label: "Check the toolchain", test: DOCS_TEST },
    { file: "docs/pull-requests.md", label: "Review a release", test: DOCS_TEST },
    { file: "docs/canary-and-verification.md", label: "Canary", test: DOCS_TEST },
    { file: "docs/canary-and-verification.md", label: "Promote", test: DOCS_TEST },
    { file: "docs/canary-and-verification.md", label: "Verify", test: DOCS_TEST },
    { file: "docs/troubleshooting.md", label: "Look around", test: DOCS_TEST },
    { file: "docs/library.md", label: "Try the example", test: DOCS_TEST },
    { file: "docs/library.md", label: "Try several apps", test: DOCS_TEST },
    { file: "docs/languages.md", label: "Try the YAML example", test: DOCS_TEST },
    { file: "docs/languages.md", label: "Try the Python example", test: DOCS_TEST },
];

/** A test's own claims, in its order. */
export function claimsOf(test: WalkThroughTest): Claim[] {
    return CLAIMS.filter((c) => c.test === test);
}

/** `README.md, Release`: how a claim is named in test titles and messages. */
export function claimName(claim: Pick<Claim, "file" | "label">): string {
    return `${claim.file}, ${claim.label}`;
}

/** The claimed walk-through's commands as the test runs them (without CI's own); throws when it is gone. */
export function commandsOf(claim: Claim, root = REPO): string[] {
    const found = allWalkThroughs(claim.file, root).find((w) => w.label === claim.label);
    if (found === undefined || found.commands.length === 0) {
        const have = allWalkThroughs(claim.file, root).map((w) => w.label ?? `(unlabelled, line ${w.line})`);
        throw new Error(`${claimName(claim)}: no such walk-through; ${claim.file} has: ${have.join(", ") || "none"}`);
    }
    return found.commands.filter((c) => !CI_COMMANDS.includes(c));
}

// ---------------------------------------------------------------------------------------------
// Running walk-throughs as a new user would: in a fresh clone, in one shell.

/**
 * A clone of the repo as it would be committed now: `git clone`, then the working tree's
 * uncommitted edits, staged or not, and new files on top (none in CI, where the checkout is clean).
 */
export function freshClone(prefix = "bluegreen-readme-"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const git = (args: string[], cwd = REPO) =>
        childProcess.execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    git(["clone", "-q", REPO, dir]);
    // Against HEAD, so staged changes count too; a rename is its deletion and its new file.
    const changed = [
        ...git(["diff", "-z", "--name-only", "--no-renames", "HEAD"]).split("\0"),
        ...git(["ls-files", "-z", "--others", "--exclude-standard"]).split("\0"),
    ];
    for (const rel of changed.filter((f) => f !== "")) {
        const from = path.join(REPO, rel);
        const to = path.join(dir, rel);
        if (fs.existsSync(from)) {
            fs.mkdirSync(path.dirname(to), { recursive: true });
            fs.copyFileSync(from, to);
        } else {
            fs.rmSync(to, { force: true }); // deleted in the working tree
        }
    }
    return dir;
}

/** The environment of a user who has not sourced scripts/env.sh yet. */
export function newUserEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_SKIP_CONFIRMATIONS: "true" }; // the user answers "yes"
    for (const key of ["PULUMI_BACKEND_URL", "PULUMI_STACK", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_HOME"]) {
        delete env[key];
    }
    env.PATH = (env.PATH ?? "")
        .split(":")
        .filter((dir) => !dir.includes(path.join("bluegreen", "toolchain")))
        .join(":");
    return env;
}

export interface Ran {
    readonly code: number;
    readonly output: string;
}

/** Runs one command line with bash in `cwd`, as a new user's shell would (no env.sh unless it says so). */
export function runShell(cwd: string, command: string, timeoutMs = 300000): Ran {
    console.log(`      $ ${command}`);
    const result = childProcess.spawnSync("bash", ["-c", command], {
        cwd,
        env: newUserEnv(),
        encoding: "utf8",
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
    });
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    return { code: result.status ?? (result.error ? 127 : 1), output };
}

const STEP_MARK = "@@bluegreen-walk-through-step";

/**
 * Runs a walk-through's commands in order in one shell from the clone's root, after `. scripts/env.sh`
 * (unless `sourceEnv` is false: `make demo` needs none), as a reader types them into one terminal (a
 * `cd` carries over to the next line); stops at the first that fails. Returns each command's output
 * (stdout and stderr together); throws naming the command that failed, with the end of its output.
 */
export function runWalkThrough(
    clone: string,
    name: string,
    commands: string[],
    options: { readonly timeoutMs?: number; readonly sourceEnv?: boolean } = {},
): string[] {
    const { timeoutMs = 900000, sourceEnv = true } = options;
    const script = [
        "exec 2>&1",
        ...(sourceEnv ? [". scripts/env.sh"] : []),
        "set -e",
        // On a line of its own even after output without a final newline (curl -s).
        ...commands.flatMap((command, i) => [`printf '\\n${STEP_MARK} ${i}\\n'`, command]),
        `printf '\\n${STEP_MARK} end\\n'`,
    ].join("\n");
    for (const command of commands) {
        console.log(`      $ ${command}`);
    }
    const result = childProcess.spawnSync("bash", ["-c", script], {
        cwd: clone,
        env: newUserEnv(),
        encoding: "utf8",
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
    });
    const parts = (result.stdout ?? "").split(`\n${STEP_MARK} `);
    const outputs: string[] = [];
    let ended = false;
    for (const part of parts.slice(1)) {
        const newline = part.indexOf("\n");
        const tag = part.slice(0, newline < 0 ? undefined : newline);
        if (tag === "end") {
            ended = true;
        } else {
            outputs[Number(tag)] = newline < 0 ? "" : part.slice(newline + 1);
        }
    }
    if (process.env.BLUEGREEN_SHOW_OUTPUT === "1") {
        outputs.forEach((out, i) => console.log(`      --- ${commands[i]}\n${out.replace(/^/gm, "      | ")}`));
    }
    if (result.status !== 0 || !ended) {
        const at = outputs.length - 1;
        const why = result.error ? ` (${result.error.message})` : ` (exit ${result.status ?? result.signal})`;
        throw new Error(
            `${name}: \`${commands[at] ?? ". scripts/env.sh"}\` failed${why}:\n` +
                `${(outputs[at] ?? parts[0] ?? "").slice(-3000)}`,
        );
    }
    return outputs;
}
