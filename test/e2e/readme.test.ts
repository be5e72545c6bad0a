// The README as a new user walks it: a fresh clone with nothing made by hand, `make demo` there,
// then the README's own walk-through commands against that clone's dev stack, then its clean-up.
// Commands are read from README.md, so the README cannot drift from what works.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, dockerOk } from "../../components/providers/docker";
import { probe } from "../../components/providers/probe";
import { TEST_ENGINE } from "../support/engine";
import { walkThrough, walkThroughs } from "../support/readme";

const REPO = path.resolve(__dirname, "../../..");
const STACK = "dev";
const URL = "http://127.0.0.1:8080";

/**
 * A clone of the repo as it would be committed now: `git clone`, then the working tree's
 * uncommitted edits and new files on top (none in CI, where the checkout is clean).
 */
function freshClone(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-readme-"));
    const git = (args: string[], cwd = REPO) =>
        childProcess.execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    git(["clone", "-q", REPO, dir]);
    const changed = git(["ls-files", "-z", "--modified", "--others", "--exclude-standard"]).split("\0");
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
function newUserEnv(): NodeJS.ProcessEnv {
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

interface Ran {
    readonly code: number;
    readonly output: string;
}

function run(cwd: string, command: string, timeoutMs = 300000): Ran {
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

function runOk(cwd: string, command: string, timeoutMs?: number): string {
    const result = run(cwd, command, timeoutMs);
    assert.strictEqual(result.code, 0, `${command} exited ${result.code}:\n${result.output.slice(-3000)}`);
    return result.output;
}

async function servingColor(): Promise<unknown> {
    return (await probe(`${URL}/`, 3000)).headers["x-color"];
}

async function stackContainers(): Promise<string> {
    return dockerOk(["ps", "-a", "--filter", `label=io.bluegreen.managed=${STACK}`, "--format", "{{.Names}}"]);
}

describe("README walk-through on a fresh clone", function () {
    this.timeout(1200000);
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    const guide = walkThroughs(readme);
    let clone = "";
    /** Runs one README walk-through in the clone, each command after `. scripts/env.sh` as the README says. */
    const walk = (name: string) => {
        for (const command of walkThrough(guide, name).commands) {
            runOk(clone, `. scripts/env.sh && ${command}`);
        }
    };

    before(async () => {
        const taken = await stackContainers();
        assert.strictEqual(
            taken,
            "",
            `a ${STACK} stack already runs on this machine (${taken.split("\n").join(", ")}); ` +
                `this test deploys its own: run make destroy in that checkout first`,
        );
        clone = freshClone();
        // `auto` gives a new stack docker-provider here; the docker-cli run asks for its engine
        // the way a user would, in the stack's config file.
        if (TEST_ENGINE !== "docker-provider") {
            fs.appendFileSync(path.join(clone, `Pulumi.${STACK}.yaml`), `  bluegreen:engine: ${TEST_ENGINE}\n`);
        }
    });

    after(async () => {
        if (clone !== "" && (await stackContainers()) !== "") {
            run(clone, `. scripts/env.sh && pulumi destroy --yes --non-interactive --stack ${STACK}`);
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

    it("make demo works with nothing created beforehand and says how to look around and clean up", async () => {
        assert.ok(!fs.existsSync(path.join(clone, ".pulumi-state")), "the clone has no state directory yet");
        assert.ok(!fs.existsSync(path.join(clone, "node_modules")), "the clone has no node_modules yet");
        const output = runOk(clone, "make demo", 900000);
        assert.match(output, /requests answered 200: [1-9]\d*; non-200: 0; connection errors: 0/);
        assert.match(output, /== look around/);
        assert.match(output, /npm run status/);
        assert.match(output, /== clean up\n.*make destroy/);
        assert.match(output, new RegExp(`${STACK}-proxy`), "it lists what it left running");
        assert.strictEqual(await servingColor(), "green");
        const engine = runOk(clone, `. scripts/env.sh && pulumi stack output engine --stack ${STACK}`);
        assert.strictEqual(engine.trim(), TEST_ENGINE, "the demo ran on the engine under test");
    });

    it("Deploy: selects the dev stack and runs pulumi up (nothing to change after the demo)", async () => {
        walk("Deploy");
        assert.strictEqual(await servingColor(), "green");
    });

    it("a plain pulumi up runs index.ts as edited, without a build", async () => {
        const entry = path.join(clone, "index.ts");
        const original = fs.readFileSync(entry, "utf8");
        fs.appendFileSync(entry, `export const editedOutput = "edited " + "${process.pid}";\n`);
        const up = runOk(clone, `. scripts/env.sh && pulumi up --stack ${STACK}`);
        assert.match(up, /bluegreen: index\.ts changed since the last build; transpiled into bin\//);
        const value = runOk(clone, `. scripts/env.sh && pulumi stack output editedOutput --stack ${STACK}`);
        assert.strictEqual(value.trim(), `edited ${process.pid}`);
        fs.writeFileSync(entry, original);
    });

    it("Roll back: traffic returns to the standby", async () => {
        walk("Roll back");
        assert.strictEqual(await servingColor(), "blue");
    });

    it("Stage: the idle colour gets v3 on its preview port, then takes traffic when promoted", async () => {
        walk("Stage");
        assert.strictEqual(await servingColor(), "green");
        assert.match((await probe(`${URL}/`, 3000)).body, /^version=3 /);
    });

    it("Release: a new image goes onto the idle colour and takes the traffic", async () => {
        walk("Release");
        assert.strictEqual(await servingColor(), "blue");
        // The helper's one `pulumi up -c ...` saved the intent in the stack file, for the pull request.
        const stackFile = fs.readFileSync(path.join(clone, `Pulumi.${STACK}.yaml`), "utf8");
        assert.match(stackFile, /^ {2}bluegreen:blueImage: bluegreen-sample:2$/m);
        assert.match(stackFile, /^ {2}bluegreen:liveColor: blue$/m);
        assert.match((await probe(`${URL}/`, 3000)).body, /^version=2 /);
    });

    it("Preview and Status: no change left, both colours healthy", async () => {
        const preview = walkThrough(guide, "Preview").commands;
        assert.match(runOk(clone, `. scripts/env.sh && ${preview[0]}`), /^no change$/m);
        const status = walkThrough(guide, "Status").commands;
        assert.match(runOk(clone, `. scripts/env.sh && ${status[0]}`), /serving: blue at http:\/\/127\.0\.0\.1:8080/);
    });

    it("HTTPS: turned on, served with HTTP/2 and a redirect, and off again, on the same proxy", async () => {
        const https = walkThroughs(readme, "HTTPS");
        const proxyId = () => dockerOk(["inspect", "--format", "{{.Id}}", `${STACK}-proxy`]);
        const before = await proxyId();
        const on = walkThrough(https, "Turn HTTPS on").commands;
        const outputs = on.map((command) => runOk(clone, `. scripts/env.sh && ${command}`));
        assert.match(outputs[on.length - 2], /< HTTP\/2 200[\s\S]*x-color: blue/i);
        assert.match(outputs[on.length - 2], /subject: CN=localhost/);
        assert.match(outputs[on.length - 1], /^HTTP\/1\.1 301[\s\S]*Location: https:\/\/127\.0\.0\.1:8443\//im);
        assert.ok(!fs.readFileSync(path.join(clone, `Pulumi.${STACK}.yaml`), "utf8").includes("PRIVATE KEY"));
        for (const command of walkThrough(https, "Turn HTTPS off").commands) {
            runOk(clone, `. scripts/env.sh && ${command}`);
        }
        assert.strictEqual(await servingColor(), "blue", "plain HTTP serves again");
        assert.strictEqual(await proxyId(), before, "the proxy was never recreated");
    });

    it("Maintenance: 503 with Retry-After while on, the live colour again when off", async () => {
        const [on, check, off] = walkThrough(walkThroughs(readme, "Maintenance"), "Maintenance").commands;
        runOk(clone, `. scripts/env.sh && ${on}`);
        assert.match(runOk(clone, check), /^HTTP\/1\.1 503[\s\S]*Retry-After: 60[\s\S]*Down for maintenance/im);
        runOk(clone, `. scripts/env.sh && ${off}`);
        assert.strictEqual(await servingColor(), "blue");
    });

    it("Clean up: removes the containers and the network", async () => {
        walk("Clean up");
        assert.strictEqual(await stackContainers(), "");
        assert.notStrictEqual((await docker(["network", "inspect", `${STACK}-net`])).code, 0);
    });
});
