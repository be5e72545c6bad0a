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

    it("pins the CLI version that setup builds and the Node major that setup provides", () => {
        const pinned = (name: string) =>
            fs.readFileSync(path.resolve(__dirname, `../../../scripts/${name}`), "utf8").trim();
        const cli = steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
        assert.strictEqual(cli?.with?.["pulumi-version"], pinned("pulumi-version"));
        const node = steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
        assert.strictEqual(String(node?.with?.["node-version"]), pinned("node-version").split(".")[0]);
    });

    it("uses the secrets it documents", () => {
        const text = fs.readFileSync(file, "utf8");
        for (const secret of [
            "PULUMI_BACKEND_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "PULUMI_CONFIG_PASSPHRASE",
            "DOCKER_HOST",
            "DEPLOY_SSH_KEY",
        ]) {
            assert.match(text, new RegExp(`#\\s+${secret}\\s`), `${secret} documented`);
            assert.match(text, new RegExp(`secrets\\.${secret}`), `${secret} used`);
        }
    });
});
