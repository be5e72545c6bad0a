// The README as a new user walks it: a fresh clone with nothing made by hand, `make demo` there,
// then the README's own walk-through commands (and HTTPS and maintenance from their docs/ pages)
// against that clone's dev stack, then its clean-up. The steps are this test's entries in the
// registry of walk-throughs (test/support/readme.ts, CLAIMS), each read from its page and run as
// written, so the pages cannot drift from what works.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { docker, dockerOk } from "../../components/runtime/docker";
import { probe } from "../../components/runtime/probe";
import { TEST_ENGINE } from "../support/engine";
import { claimName, claimsOf, commandsOf, freshClone, README_TEST, runShell, runWalkThrough } from "../support/readme";

const STACK = "dev";
const URL = "http://127.0.0.1:8080";

function runOk(cwd: string, command: string, timeoutMs?: number): string {
    const result = runShell(cwd, command, timeoutMs);
    assert.strictEqual(result.code, 0, `${command} exited ${result.code}:\n${result.output.slice(-3000)}`);
    return result.output;
}

async function servingColor(): Promise<unknown> {
    return (await probe(`${URL}/`, 3000)).headers["x-color"];
}

async function stackContainers(): Promise<string> {
    return dockerOk(["ps", "-a", "--filter", `label=io.bluegreen.managed=${STACK}`, "--format", "{{.Names}}"]);
}

/** What this test checks after running one walk-through; `outputs` are its commands' outputs in order. */
interface Step {
    readonly title: string;
    /** `make demo` runs before the user has sourced scripts/env.sh. */
    readonly withoutEnv?: boolean;
    readonly before?: (clone: string) => Promise<void> | void;
    readonly check: (outputs: string[], clone: string) => Promise<void> | void;
}

const STEPS: Record<string, Step> = {
    "README.md, Start": {
        title: "make demo works with nothing created beforehand and says how to look around and clean up",
        withoutEnv: true,
        before: (clone) => {
            assert.ok(!fs.existsSync(path.join(clone, ".pulumi-state")), "the clone has no state directory yet");
            assert.ok(!fs.existsSync(path.join(clone, "node_modules")), "the clone has no node_modules yet");
        },
        check: async ([output], clone) => {
            assert.match(output, /requests answered 200: [1-9]\d*; non-200: 0; connection errors: 0/);
            assert.match(output, /== look around/);
            assert.match(output, /npm run status/);
            assert.match(output, /== clean up\n.*make destroy/);
            assert.match(output, new RegExp(`${STACK}-proxy`), "it lists what it left running");
            assert.strictEqual(await servingColor(), "green");
            const engine = runOk(clone, `. scripts/env.sh && pulumi stack output engine --stack ${STACK}`);
            assert.strictEqual(engine.trim(), TEST_ENGINE, "the demo ran on the engine under test");
        },
    },
    "README.md, Deploy": {
        title: "selects the dev stack and runs pulumi up (nothing to change after the demo)",
        check: async () => assert.strictEqual(await servingColor(), "green"),
    },
    "README.md, Roll back": {
        title: "traffic returns to the standby",
        check: async () => assert.strictEqual(await servingColor(), "blue"),
    },
    "README.md, Stage": {
        title: "the idle colour gets v3 on its preview port, then takes traffic when promoted",
        check: async (outputs) => {
            assert.match(outputs[1], /^version=3 /m, "the preview port answers with green's v3");
            assert.strictEqual(await servingColor(), "green");
            assert.match((await probe(`${URL}/`, 3000)).body, /^version=3 /);
        },
    },
    "README.md, Release": {
        title: "a new image goes onto the idle colour and takes the traffic",
        check: async (_outputs, clone) => {
            assert.strictEqual(await servingColor(), "blue");
            // The helper's one `pulumi up -c ...` saved the intent in the stack file, for the pull request.
            const stackFile = fs.readFileSync(path.join(clone, `Pulumi.${STACK}.yaml`), "utf8");
            assert.match(stackFile, /^ {2}bluegreen:blueImage: bluegreen-sample:2$/m);
            assert.match(stackFile, /^ {2}bluegreen:liveColor: blue$/m);
            assert.match((await probe(`${URL}/`, 3000)).body, /^version=2 /);
        },
    },
    "README.md, Preview": {
        title: "no change left after the release",
        check: ([output]) => assert.match(output, /^no change$/m),
    },
    "README.md, Status": {
        title: "blue serves, both colours healthy",
        check: ([output]) => assert.match(output, /serving: blue at http:\/\/127\.0\.0\.1:8080/),
    },
    "docs/https.md, Turn HTTPS on": {
        title: "served with HTTP/2 and a redirect, on the same proxy",
        check: (outputs, clone) => {
            const n = outputs.length;
            assert.match(outputs[n - 2], /< HTTP\/2 200[\s\S]*x-color: blue/i);
            assert.match(outputs[n - 2], /subject: CN=localhost/);
            assert.match(outputs[n - 1], /^HTTP\/1\.1 301[\s\S]*Location: https:\/\/127\.0\.0\.1:8443\//im);
            assert.ok(!fs.readFileSync(path.join(clone, `Pulumi.${STACK}.yaml`), "utf8").includes("PRIVATE KEY"));
        },
    },
    "docs/https.md, Turn HTTPS off": {
        title: "plain HTTP serves again, and the proxy was never recreated",
        check: async () => {
            assert.strictEqual(await servingColor(), "blue", "plain HTTP serves again");
            assert.strictEqual(await dockerOk(["inspect", "--format", "{{.Id}}", `${STACK}-proxy`]), proxyBeforeHttps);
        },
    },
    "docs/maintenance.md, Maintenance": {
        title: "503 with Retry-After while on, the live colour again when off",
        check: async ([, check]) => {
            assert.match(check, /^HTTP\/1\.1 503[\s\S]*Retry-After: 60[\s\S]*Down for maintenance/im);
            assert.strictEqual(await servingColor(), "blue");
        },
    },
    "README.md, Clean up": {
        title: "removes the containers and the network",
        check: async () => {
            assert.strictEqual(await stackContainers(), "");
            assert.notStrictEqual((await docker(["network", "inspect", `${STACK}-net`])).code, 0);
        },
    },
};

/** The proxy's container ID before HTTPS went on: turning it on and off must not recreate it. */
let proxyBeforeHttps = "";

describe("README walk-through on a fresh clone", function () {
    this.timeout(1200000);
    let clone = "";

    before(async () => {
        const taken = await stackContainers();
        assert.strictEqual(
            taken,
            "",
            `a ${STACK} stack already runs on this machine (${taken.split("\n").join(", ")}); ` +
                `this test deploys its own: run make destroy in that checkout first`,
        );
        clone = freshClone("bluegreen-readme-");
        // `auto` gives a new stack docker-provider here; the docker-cli run asks for its engine
        // the way a user would, in the stack's config file.
        if (TEST_ENGINE !== "docker-provider") {
            fs.appendFileSync(path.join(clone, `Pulumi.${STACK}.yaml`), `  bluegreen:engine: ${TEST_ENGINE}\n`);
        }
    });

    after(async () => {
        if (clone !== "" && (await stackContainers()) !== "") {
            runShell(clone, `. scripts/env.sh && pulumi destroy --yes --non-interactive --stack ${STACK}`);
        }
        for (const role of ["acme", "proxy", "blue", "green"]) {
            await docker(["rm", "-f", `${STACK}-${role}`]);
        }
        await docker(["volume", "rm", "-f", `${STACK}-acme`]);
        await docker(["network", "rm", `${STACK}-net`]);
        if (clone !== "") {
            fs.rmSync(clone, { recursive: true, force: true });
        }
    });

    it("has a check for each of its walk-throughs in the registry, and none for a walk-through it does not claim", () => {
        const claimed = claimsOf(README_TEST).map(claimName);
        assert.deepStrictEqual(
            claimed.filter((c) => STEPS[c] === undefined),
            [],
        );
        assert.deepStrictEqual(
            Object.keys(STEPS).filter((k) => !claimed.includes(k)),
            [],
        );
    });

    for (const claim of claimsOf(README_TEST)) {
        const name = claimName(claim);
        const step = STEPS[name];
        it(`${name}: ${step?.title ?? "(no check)"}`, async () => {
            assert.ok(step !== undefined, `${README_TEST} has no check for ${name}`);
            await step.before?.(clone);
            if (name === "docs/https.md, Turn HTTPS on") {
                proxyBeforeHttps = await dockerOk(["inspect", "--format", "{{.Id}}", `${STACK}-proxy`]);
            }
            const outputs = runWalkThrough(clone, name, commandsOf(claim), { sourceEnv: !step.withoutEnv });
            await step.check(outputs, clone);
        });

        // Not a walk-through of its own: what the README says about a plain `pulumi up` after an edit.
        if (name === "README.md, Deploy") {
            it("a plain pulumi up runs index.ts as edited, without a build", async () => {
                const entry = path.join(clone, "index.ts");
                const original = fs.readFileSync(entry, "utf8");
                // index.ts exports one object (`export = {...}`): the edit adds an output to it.
                const edited = original.replace(
                    /^export = \{$/m,
                    `export = {\n    editedOutput: "edited " + "${process.pid}",`,
                );
                assert.notStrictEqual(edited, original, "index.ts still exports its outputs as `export = {`");
                fs.writeFileSync(entry, edited);
                const up = runOk(clone, `. scripts/env.sh && pulumi up --stack ${STACK}`);
                assert.match(up, /bluegreen: index\.ts changed since the last build; transpiled into bin\//);
                const value = runOk(clone, `. scripts/env.sh && pulumi stack output editedOutput --stack ${STACK}`);
                assert.strictEqual(value.trim(), `edited ${process.pid}`);
                fs.writeFileSync(entry, original);
            });
        }
    }
});
