// The helpers read the selected stack and its config from Pulumi's files; the CLI must agree.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULTS } from "../../components/core/config";
import { putBackStackConfig, selectedStack, setStackConfig, stackConfig } from "../../scripts/stackFiles";

const REPO = path.resolve(__dirname, "../../..");

describe("stack files (read without the CLI)", function () {
    this.timeout(60000);
    let dir = "";
    let env: NodeJS.ProcessEnv = {};
    const pulumi = (...args: string[]) =>
        childProcess.execFileSync("pulumi", args, { cwd: dir, env, encoding: "utf8" }).trim();

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-stackfiles-"));
        fs.copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fs.mkdirSync(path.join(dir, "state"));
        env = {
            ...process.env,
            PULUMI_HOME: path.join(dir, "home"),
            PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "unit",
        };
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("finds no selected stack before one is selected", () => {
        assert.strictEqual(selectedStack(dir, env.PULUMI_HOME, env.PULUMI_BACKEND_URL), undefined);
        assert.strictEqual(stackConfig(dir, "nope"), undefined);
    });

    it("agrees with pulumi stack --show-name and pulumi config --json", () => {
        pulumi("stack", "init", "first");
        pulumi("stack", "init", "second");
        pulumi("stack", "select", "first");
        assert.strictEqual(selectedStack(dir, env.PULUMI_HOME, env.PULUMI_BACKEND_URL), pulumi("stack", "--show-name"));
        assert.strictEqual(selectedStack(dir, env.PULUMI_HOME, env.PULUMI_BACKEND_URL), "first");
        // The selection is per backend: another backend has none saved.
        assert.strictEqual(selectedStack(dir, env.PULUMI_HOME, "file:///elsewhere"), undefined);

        pulumi("config", "set", "liveColor", "green");
        pulumi("config", "set", "blueImage", "bluegreen-sample:1");
        pulumi("config", "set", "greenImage", "registry.example:5000/app:v2");
        pulumi("config", "set", "--secret", "smokeTest", "curl -f $TARGET_URL");
        pulumi("config", "set", "other:key", "not ours");
        const fromCli = JSON.parse(pulumi("config", "--json")) as Record<string, { value?: string; secret: boolean }>;
        const plain = Object.entries(fromCli)
            .filter(([key, entry]) => key.startsWith("bluegreen:") && !entry.secret)
            .map(([key, entry]) => [key.slice("bluegreen:".length), entry.value] as [string, string | undefined]);
        // The CLI adds Pulumi.yaml's defaults, which the helpers take from DEFAULTS themselves.
        const ours = stackConfig(dir, "first") ?? {};
        for (const [key, value] of plain) {
            const expected = key in ours ? ours[key] : String(DEFAULTS[key as keyof typeof DEFAULTS] ?? ""); // "": optional, no default
            assert.strictEqual(value, expected, key);
        }
        assert.deepStrictEqual(stackConfig(dir, "first"), {
            liveColor: "green",
            blueImage: "bluegreen-sample:1",
            greenImage: "registry.example:5000/app:v2",
        });
    });

    it("writes keys as pulumi config set would (an app's by path), secrets and comments kept, and puts the text back", () => {
        const file = path.join(dir, "Pulumi.first.yaml");
        fs.writeFileSync(file, `# the team's note\n${fs.readFileSync(file, "utf8")}`);
        pulumi("config", "set", "--path", "apps.api.liveColor", "blue");
        const before = setStackConfig(dir, "first", { liveColor: "blue", canaryPercent: "0" });
        setStackConfig(dir, "first", { liveColor: "green" }, "api");
        assert.strictEqual(pulumi("config", "get", "liveColor"), "blue");
        assert.strictEqual(pulumi("config", "get", "canaryPercent"), "0");
        assert.strictEqual(pulumi("config", "get", "--path", "apps.api.liveColor"), "green");
        assert.strictEqual(pulumi("config", "get", "smokeTest"), "curl -f $TARGET_URL", "the secret still decrypts");
        assert.match(fs.readFileSync(file, "utf8"), /^# the team's note$/m);
        putBackStackConfig(dir, "first", before!);
        assert.strictEqual(pulumi("config", "get", "liveColor"), "green");
        assert.strictEqual(setStackConfig(dir, "none", { liveColor: "blue" }), undefined, "no file: the CLI's job");
    });
});
