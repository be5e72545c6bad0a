// The CI workflow cannot run here; this keeps it well-formed and wired to the right commands.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const file = path.resolve(__dirname, "../../../.github/workflows/preview.yml");

interface Step {
    uses?: string;
    run?: string;
    if?: string;
    with?: Record<string, unknown>;
}

describe("GitHub workflow", () => {
    const workflow = parse(fs.readFileSync(file, "utf8"));
    const steps: Step[] = workflow.jobs.pulumi.steps;

    it("runs on pull requests and pushes to main that touch the program or a stack", () => {
        for (const trigger of [workflow.on.pull_request, workflow.on.push]) {
            assert.ok(trigger.paths.includes("components/**"));
            assert.ok(trigger.paths.includes("Pulumi.*.yaml"));
        }
        assert.deepStrictEqual(workflow.on.push.branches, ["main"]);
        assert.strictEqual(workflow.permissions["pull-requests"], "write");
    });

    it("posts the markdown preview as one updatable comment on pull requests", () => {
        const preview = steps.find((s) => s.run?.includes("npm run --silent preview -- --markdown"));
        assert.ok(preview && preview.if === "github.event_name == 'pull_request'");
        const comment = steps.find((s) => s.uses?.startsWith("actions/github-script@"));
        assert.ok(comment, "a comment step");
        assert.match(String(comment.with?.script), /bluegreen-preview/);
        assert.match(String(comment.with?.script), /updateComment/);
    });

    it("deploys with pulumi up only on pushes", () => {
        const deploy = steps.find((s) => s.run?.includes("pulumi up --yes"));
        assert.ok(deploy && deploy.if === "github.event_name == 'push'");
    });

    it("pins the CLI version that setup builds", () => {
        const cli = steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
        const pinned = fs.readFileSync(path.resolve(__dirname, "../../../scripts/pulumi-version"), "utf8").trim();
        assert.strictEqual(cli?.with?.["pulumi-version"], pinned);
    });

    it("uses the secrets it documents", () => {
        const text = fs.readFileSync(file, "utf8");
        for (const secret of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "DOCKER_HOST", "DEPLOY_SSH_KEY"]) {
            assert.match(text, new RegExp(`#\\s+${secret}\\s`), `${secret} documented`);
            assert.match(text, new RegExp(`secrets\\.${secret}`), `${secret} used`);
        }
    });
});

describe("GitHub workflow for the docker-provider engine", () => {
    const file = path.resolve(__dirname, "../../../.github/workflows/e2e-docker-provider.yml");
    const workflow = parse(fs.readFileSync(file, "utf8"));
    const steps: Step[] = workflow.jobs.e2e.steps;
    const runs = steps.map((s) => s.run ?? "").join("\n");

    it("runs the end-to-end suite with BLUEGREEN_ENGINE=docker-provider and plugin downloads on", () => {
        assert.strictEqual(workflow.env.BLUEGREEN_ENGINE, "docker-provider");
        assert.strictEqual(workflow.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION, "false");
        assert.match(runs, /source scripts\/env\.sh && npm run test:e2e/);
        assert.match(runs, /make build/);
    });

    it("installs the docker and command plugins at the versions the npm packages ask for", () => {
        for (const name of ["docker", "command"]) {
            assert.match(
                runs,
                new RegExp(
                    `pulumi plugin install resource ${name} "\\$\\(node -p "require\\('@pulumi/${name}/package\\.json'\\)\\.version"\\)"`,
                ),
            );
            const pkg = JSON.parse(
                fs.readFileSync(path.resolve(__dirname, `../../../node_modules/@pulumi/${name}/package.json`), "utf8"),
            );
            assert.strictEqual(
                pkg.pulumi.version ?? pkg.version,
                pkg.version,
                `${name}: the plugin version is the package's`,
            );
        }
    });

    it("pins the CLI version that setup builds and provides the tools the suite needs", () => {
        const cli = steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
        const pinned = fs.readFileSync(path.resolve(__dirname, "../../../scripts/pulumi-version"), "utf8").trim();
        assert.strictEqual(cli?.with?.["pulumi-version"], pinned);
        assert.match(runs, /apt-get install .*hey.*docker-registry/);
        assert.match(runs, /docker tag nginx:1\.28\.0 bluegreen-nginx:local/);
    });
});
