// The docs/ pages' walk-throughs as a reader runs them: a fresh clone, `make demo` there (the state
// every page starts from: the dev stack on port 8080, green serving), then each walk-through this
// test claims in the registry (test/support/readme.ts, CLAIMS), read from its page and run as
// written, in the registry's order; everything it made is removed after, even on failure.
// Runs once, not per engine (npm run test:docs). It uses the dev stack, as the README walk-through
// test does (test/e2e/readme.test.ts): the two must not run at the same time.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { docker, dockerOk } from "../../components/runtime/docker";
import { probe } from "../../components/runtime/probe";
import { NO_APP_BODY } from "../../components/core/nginx/routes";
import { claimName, claimsOf, commandsOf, DOCS_TEST, freshClone, runShell, runWalkThrough } from "../support/readme";

const STACK = "dev";
const URL = "http://127.0.0.1:8080";
/** The library walk-through's stack in examples/typescript, and the Docker objects it makes. */
const EXAMPLE = {
    stack: "example",
    url: "http://127.0.0.1:8090",
    containers: ["example-edge-proxy", "example-web-blue", "example-web-green"],
    network: "example-edge-net",
    volume: "example-files",
};

function runOk(cwd: string, command: string, timeoutMs?: number): string {
    const result = runShell(cwd, command, timeoutMs);
    assert.strictEqual(result.code, 0, `${command} exited ${result.code}:\n${result.output.slice(-3000)}`);
    return result.output;
}

async function serving(): Promise<{ color: unknown; body: string }> {
    const answer = await probe(`${URL}/`, 3000);
    return { color: answer.headers["x-color"], body: answer.body };
}

/** The colours `n` new clients (no cookie, a fresh connection each) are served by. */
async function newClients(n: number): Promise<Record<string, number>> {
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
        const color = String((await probe(`${URL}/`, 3000)).headers["x-color"]);
        seen[color] = (seen[color] ?? 0) + 1;
    }
    return seen;
}

async function containersNamed(prefix: string): Promise<string> {
    return dockerOk(["ps", "-a", "--filter", `name=^${prefix}`, "--format", "{{.Names}}"]);
}

async function devContainers(): Promise<string> {
    return dockerOk(["ps", "-a", "--filter", `label=io.bluegreen.managed=${STACK}`, "--format", "{{.Names}}"]);
}

/** What this test does with one walk-through: run it (in parts, to look in between), then check. */
interface Step {
    readonly title: string;
    /** Checks after the command of this index, before the next (only for walk-throughs without a `cd`). */
    readonly between?: Record<number, () => Promise<void>>;
    readonly check: (outputs: string[], clone: string, commands: string[]) => Promise<void> | void;
}

const STEPS: Record<string, Step> = {
    "docs/toolchain.md, Check the toolchain": {
        title: "Node 22, the Pulumi CLI 3.276 and both plugins",
        check: ([node, pulumi, plugins]) => {
            assert.match(node, /^v22\.\d+\.\d+$/m);
            assert.match(pulumi, /^v3\.276\.0$/m);
            assert.match(plugins, /^docker\s+resource\s+5\.0\.0/m);
            assert.match(plugins, /^command\s+resource\s+1\.2\.1/m);
        },
    },
    "docs/pull-requests.md, Review a release": {
        title: "the config change previews as a release, in one line and as the comment, then pulumi up applies it",
        check: async ([, preview, markdown]) => {
            const now = await serving();
            assert.strictEqual(now.color, "blue");
            assert.match(now.body, /^version=3 /);
            assert.match(
                preview,
                /^ {2}update {3}dev-guard \(blueImage: bluegreen-sample:1 -> bluegreen-sample:3, liveColor: green -> blue\)$/m,
            );
            assert.match(preview, /^ {2}update {3}dev-switch \(color: green -> blue, /m);
            assert.match(markdown, /^### bluegreen preview: `dev`$/m);
            assert.match(markdown, /^\| `dev-switch` \| update \| `color: green -> blue`/m);
            assert.match(markdown, /<details><summary>pulumi preview --diff<\/summary>/);
            // The headline the page (and the README's Preview) promises for a release.
            assert.match(
                preview,
                /^release: blue bluegreen-sample:1 -> bluegreen-sample:3; traffic green -> blue; green stays on bluegreen-sample:2 as standby$/m,
            );
            assert.match(
                markdown,
                /^\*\*release: blue bluegreen-sample:1 -> bluegreen-sample:3; traffic green -> blue/m,
            );
        },
    },
    "docs/canary-and-verification.md, Canary": {
        title: "the idle colour gets v3 and 10%, then 30%, of new clients; abort sends every client back",
        between: {
            1: async () => {
                // 30% of new clients, each sticky by its cookie: 200 of them land within a wide margin.
                const seen = await newClients(200);
                const share = (seen.green ?? 0) / 200;
                assert.ok(share >= 0.15 && share <= 0.45, `green served ${JSON.stringify(seen)} of 200 new clients`);
                assert.match((await probe("http://127.0.0.1:8082/", 3000)).body, /^version=3 /, "green runs v3");
            },
        },
        check: async ([release, raise, header, abort], clone) => {
            assert.match(release, /canary: 10% of clients on green \(bluegreen-sample:3\)/);
            assert.match(raise, /30% of clients to green/);
            assert.match(header, /^X-Color: (blue|green)/im);
            assert.match(abort, /abort: every client to blue \(bluegreen-sample:3\)/);
            assert.deepStrictEqual(await newClients(30), { blue: 30 });
            assert.strictEqual(runOk(clone, ". scripts/env.sh && pulumi stack output canary").trim(), "off");
            assert.match((await probe("http://127.0.0.1:8082/", 3000)).body, /^version=3 /, "green keeps running");
        },
    },
    "docs/canary-and-verification.md, Promote": {
        title: "a canary of the idle colour's v3, then promote: every client to green",
        check: async ([release, promote, body], clone) => {
            assert.match(release, /canary: 10% of clients on green \(bluegreen-sample:3\)/);
            assert.match(promote, /promote: every client to green \(bluegreen-sample:3\), blue stays up as standby/);
            assert.match(body, /^version=3 /m);
            assert.deepStrictEqual(await newClients(30), { green: 30 });
            const stackFile = fs.readFileSync(path.join(clone, `Pulumi.${STACK}.yaml`), "utf8");
            assert.match(stackFile, /^ {2}bluegreen:liveColor: green$/m);
            assert.match(stackFile, /^ {2}bluegreen:canaryPercent: "?0"?$/m);
        },
    },
    "docs/canary-and-verification.md, Verify": {
        title: "a rollback under a little traffic is verified and passes; verification off again",
        check: async ([, , verdict], clone) => {
            assert.match(
                verdict,
                /^passed: blue answered \d+ requests, 0 with 5xx \(0\.0% <= 1\.0%\), p99 \d+ ms, in \d+ s$/m,
            );
            assert.strictEqual((await serving()).color, "blue");
            assert.strictEqual(runOk(clone, ". scripts/env.sh && pulumi stack output verification").trim(), "off");
        },
    },
    "docs/troubleshooting.md, Look around": {
        title: "status, the stack's containers and nginx's log",
        check: ([status, containers]) => {
            assert.match(status, /serving: blue at http:\/\/127\.0\.0\.1:8080/);
            for (const name of ["dev-proxy", "dev-blue", "dev-green"]) {
                assert.match(containers, new RegExp(`^${name} Up`, "m"));
            }
        },
    },
    "docs/library.md, Try the example": {
        title: "npm pack, npm install, a stack of the example: deploy, release, destroy",
        check: async (outputs, clone, commands) => {
            const curls = outputs.filter((_, i) => /^curl /.test(commands[i]));
            assert.strictEqual(curls.length, 2);
            assert.match(curls[0], /^X-Color: blue[\s\S]*^version=1 /im);
            assert.match(curls[1], /^X-Color: green[\s\S]*^version=2 /im);
            assert.ok(
                outputs.some((o) => /\+\s+docker:index:Volume\s+files\s+created/.test(o)),
                "its own volume",
            );
            assert.ok(fs.existsSync(path.join(clone, "examples/typescript/bluegreen-0.2.0.tgz")));
            assert.strictEqual(await containersNamed("example-"), "");
            assert.notStrictEqual((await docker(["network", "inspect", EXAMPLE.network])).code, 0);
            assert.notStrictEqual((await docker(["volume", "inspect", EXAMPLE.volume])).code, 0);
            assert.strictEqual((await serving()).color, "blue", "the dev stack beside it kept serving");
        },
    },
    "docs/library.md, Try several apps": {
        title: "two apps on one proxy: routed by host and prefix, one released, destroyed",
        check: async (outputs, _clone, commands) => {
            const curls = outputs.filter((_, i) => /^curl /.test(commands[i]));
            assert.strictEqual(curls.length, 4);
            assert.match(curls[0], /^version=1 /);
            assert.match(curls[1], /^version=2 /);
            assert.strictEqual(curls[2].trim(), NO_APP_BODY.trim());
            assert.match(curls[3], /^version=3 /);
            assert.strictEqual(await containersNamed("apps-"), "");
            assert.notStrictEqual((await docker(["network", "inspect", "apps-edge-net"])).code, 0);
            assert.strictEqual((await serving()).color, "blue", "the dev stack beside it kept serving");
        },
    },
    "docs/languages.md, Try the YAML example": {
        title: "pulumi package add, a YAML program's Proxy and two Apps: api released and rolled back, destroyed",
        check: async (outputs, clone, commands) => {
            const curls = outputs.filter((_, i) => /^curl /.test(commands[i]));
            assert.deepStrictEqual(
                curls.map((c) => c.match(/^version=\d/m)?.[0]),
                ["version=1", "version=3", "version=2", "version=1"],
            );
            assert.match(fs.readFileSync(path.join(clone, "examples/yaml/Pulumi.yaml"), "utf8"), /^packages:/m);
            assert.strictEqual(await containersNamed("yaml-"), "");
            assert.strictEqual((await serving()).color, "blue", "the dev stack beside it kept serving");
        },
    },
    "docs/languages.md, Try the Python example": {
        title: "a virtual environment, pulumi package add, a Python program's Proxy and two Apps: api released, destroyed",
        check: async (outputs, clone, commands) => {
            const curls = outputs.filter((_, i) => /^curl /.test(commands[i]));
            assert.deepStrictEqual(
                curls.map((c) => c.match(/^version=\d/m)?.[0]),
                ["version=1", "version=2"],
            );
            assert.ok(fs.existsSync(path.join(clone, "examples/python/sdks/bluegreen/pulumi_bluegreen/app.py")));
            assert.strictEqual(await containersNamed("python-"), "");
            assert.strictEqual((await serving()).color, "blue", "the dev stack beside it kept serving");
        },
    },
};

describe("docs/ walk-throughs on a fresh clone (the dev stack, after make demo)", function () {
    this.timeout(1800000);
    let clone = "";

    before(async () => {
        const taken = [await devContainers(), await containersNamed("example-")].filter((t) => t !== "").join("\n");
        assert.strictEqual(
            taken,
            "",
            `${taken.split("\n").join(", ")} already run on this machine; this test deploys the dev stack and the ` +
                `example's own (is test/e2e/readme.test.ts running? else make destroy in that checkout)`,
        );
        clone = freshClone("bluegreen-docs-");
        const demo = runOk(clone, "make demo", 900000);
        assert.match(demo, /requests answered 200: [1-9]\d*; non-200: 0; connection errors: 0/);
        assert.strictEqual((await serving()).color, "green", "make demo leaves green serving");
    });

    after(async () => {
        if (clone !== "") {
            const example = path.join(clone, "examples/typescript");
            if (fs.existsSync(path.join(example, "node_modules")) && (await containersNamed("example-")) !== "") {
                runShell(
                    clone,
                    `. scripts/env.sh && cd examples/typescript && pulumi destroy --yes --non-interactive --stack ${EXAMPLE.stack}`,
                );
            }
            const apps = path.join(clone, "examples/several-apps");
            if (fs.existsSync(path.join(apps, "node_modules")) && (await containersNamed("apps-")) !== "") {
                runShell(
                    clone,
                    `. scripts/env.sh && cd examples/several-apps && pulumi destroy --yes --non-interactive --stack apps`,
                );
            }
            for (const example of ["yaml", "python"]) {
                // Each example's stack is named after it.
                if ((await containersNamed(`${example}-`)) !== "") {
                    runShell(
                        clone,
                        `. scripts/env.sh && cd examples/${example} && pulumi destroy --yes --non-interactive --stack ${example}`,
                    );
                }
            }
            if ((await devContainers()) !== "") {
                runShell(clone, `. scripts/env.sh && pulumi destroy --yes --non-interactive --stack ${STACK}`);
            }
        }
        for (const name of [...EXAMPLE.containers, ...["acme", "proxy", "blue", "green"].map((r) => `${STACK}-${r}`)]) {
            await docker(["rm", "-f", name]);
        }
        for (const prefix of ["apps-", "yaml-", "python-"]) {
            const left = await containersNamed(prefix);
            if (left !== "") await docker(["rm", "-f", ...left.split("\n")]);
        }
        for (const network of [EXAMPLE.network, "apps-edge-net", "yaml-edge-net", "python-edge-net", `${STACK}-net`]) {
            await docker(["network", "rm", network]);
        }
        for (const volume of [EXAMPLE.volume, `${STACK}-acme`]) {
            await docker(["volume", "rm", "-f", volume]);
        }
        if (clone !== "") {
            fs.rmSync(clone, { recursive: true, force: true });
        }
    });

    it("has a check for each of its walk-throughs in the registry, and none for a walk-through it does not claim", () => {
        const claimed = claimsOf(DOCS_TEST).map(claimName);
        assert.deepStrictEqual(
            claimed.filter((c) => STEPS[c] === undefined),
            [],
        );
        assert.deepStrictEqual(
            Object.keys(STEPS).filter((k) => !claimed.includes(k)),
            [],
        );
    });

    for (const claim of claimsOf(DOCS_TEST)) {
        const name = claimName(claim);
        const step = STEPS[name];
        it(`${name}: ${step?.title ?? "(no check)"}`, async () => {
            assert.ok(step !== undefined, `${DOCS_TEST} has no check for ${name}`);
            const commands = commandsOf(claim);
            const cuts = Object.keys(step.between ?? {})
                .map(Number)
                .sort((a, b) => a - b);
            assert.ok(
                cuts.length === 0 || !commands.some((c) => /^cd\b/.test(c)),
                `${name} changes directory: it runs in one shell, without checks in between`,
            );
            const outputs: string[] = [];
            let from = 0;
            for (const cut of [...cuts, commands.length - 1]) {
                outputs.push(...runWalkThrough(clone, name, commands.slice(from, cut + 1)));
                await step.between?.[cut]?.();
                from = cut + 1;
            }
            await step.check(outputs, clone, commands);
        });

        // Not a walk-through: the TypeScript the pages show compiles against the package as installed.
        if (name === "docs/library.md, Try the example") {
            it("the TypeScript snippets of README.md and docs/library.md compile against the installed package", () => {
                const example = path.join(clone, "examples/typescript");
                const files: string[] = [];
                for (const page of ["README.md", "docs/library.md"]) {
                    const text = fs.readFileSync(path.join(clone, page), "utf8");
                    for (const [i, match] of [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].entries()) {
                        const file = `snippet-${path.basename(page, ".md")}-${i}.ts`;
                        fs.writeFileSync(path.join(example, file), match[1]);
                        files.push(file);
                    }
                }
                assert.ok(files.length >= 2, `found ${files.join(", ")}`);
                const flags =
                    "--ignoreConfig --noEmit --strict --skipLibCheck --target ES2020 --module node16 " +
                    "--moduleResolution node16 --types node";
                runOk(example, `npx tsc ${flags} ${files.join(" ")}`);
            });
        }
    }
});
