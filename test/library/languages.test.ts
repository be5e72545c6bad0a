// bluegreen from other Pulumi languages (examples/yaml, examples/python), as a user has them: a
// program of its own that adds an unbuilt copy of this checkout with `pulumi package add`, one
// Proxy and two Apps by host name, one app released and rolled back by changing the program's
// inputs under GET+POST keep-alive load on both, a wrong input refused at preview, and a destroy
// that leaves nothing; and a Go program compiled against the SDK generated for Go.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, dockerOk } from "../../components/runtime/docker";
import { NO_APP_BODY } from "../../components/core/nginx/routes";
import { addPackageTo, Consumer, languageExampleConfig } from "../support/consumer";
import { assertNoLossOnAll, underLoadOnAll } from "../support/load";
import { routedClient } from "../support/routed";

const REPO = path.resolve(__dirname, "../../..");
const API_HOST = "api.example.test";
const WEB_HOST = "www.example.test";

interface Example {
    readonly language: "yaml" | "python";
    readonly port: number;
    /** The components' names: Docker names start with them. */
    names(stack: string): { edge: string; api: string; web: string };
}

const EXAMPLES: Example[] = [
    {
        language: "yaml",
        port: 20180,
        names: () => ({ edge: "yaml-edge", api: "yaml-api", web: "yaml-web" }),
    },
    {
        language: "python",
        port: 20280,
        names: (stack) => ({ edge: `${stack}-edge`, api: `${stack}-api`, web: `${stack}-web` }),
    },
];

for (const example of EXAMPLES) {
    describe(`a ${example.language} program with bluegreen added as a package (examples/${example.language})`, function () {
        this.timeout(900000);
        let program: Consumer;
        const stack = `${example.language}${process.pid}`;
        const names = example.names(stack);
        const url = `http://127.0.0.1:${example.port}`;
        const { answer } = routedClient(url);
        const pulumi = (...args: string[]) =>
            program.attempt("pulumi", [...args, "--non-interactive", "--stack", stack]);
        const up = () =>
            program.run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack]);
        const ids = (...containers: string[]) =>
            Promise.all(containers.map((c) => dockerOk(["inspect", "--format", "{{.Id}}", c])));
        const ours = async () =>
            [
                await dockerOk(["ps", "-aq", "--filter", `name=^${names.edge}-`]),
                await dockerOk(["ps", "-aq", "--filter", `name=^${names.api}-`]),
                await dockerOk(["ps", "-aq", "--filter", `name=^${names.web}-`]),
                await dockerOk(["network", "ls", "-q", "--filter", `name=^${names.edge}-`]),
            ].join("");

        before(async () => {
            assert.strictEqual(await ours(), "", `no ${names.edge}/${names.api}/${names.web} left by an earlier run`);
            program = addPackageTo(example.language, stack);
            program.setConfig(languageExampleConfig(example.language, example.port));
        });

        after(async () => {
            if (program !== undefined) {
                pulumi("destroy", "--yes");
                const apps = [names.api, names.web].flatMap((app) => [`${app}-blue`, `${app}-green`]);
                for (const name of [`${names.edge}-proxy`, ...apps]) {
                    await docker(["rm", "-f", name]);
                }
                await docker(["network", "rm", `${names.edge}-net`]);
                program.remove();
            }
        });

        it("adds the package, then deploys one Proxy and two Apps, each on its host, the providers served by the package", async () => {
            assert.ok(!program.dir.startsWith(REPO), "the program is outside the checkout");
            assert.match(fs.readFileSync(path.join(program.dir, "Pulumi.yaml"), "utf8"), /packages:\n\s+bluegreen: \//);
            // The checkout it added had no build: the plugin transpiled its sources on its first start.
            assert.ok(fs.existsSync(path.join(program.dir, "bluegreen/bin/components/plugin/main.js")));
            if (example.language === "python") {
                assert.ok(fs.existsSync(path.join(program.dir, "sdks/bluegreen/pulumi_bluegreen/app.py")));
            }
            const output = up();
            assert.match(output, /apiLiveColor\s*: "blue"/);
            assert.strictEqual(await answer("/", API_HOST), "200 version=1 mode=healthy method=GET");
            assert.strictEqual(await answer("/", WEB_HOST), "200 version=3 mode=healthy method=GET");
            assert.strictEqual(await answer("/", "nobody.example.test"), `404 ${NO_APP_BODY.trim()}`);
            // No Node dynamic provider plugin: its SDK is not found from this program's directory.
            const state = program.run("pulumi", ["stack", "export", "--stack", stack]);
            assert.match(state, /"type": "bluegreen:providers:ProxySwitch"/);
            assert.doesNotMatch(state, /pulumi-nodejs:dynamic:Resource/);
        });

        it("releases api and rolls it back by changing the program's inputs, under load on both apps, 0 failed", async () => {
            const untouched = [`${names.edge}-proxy`, `${names.web}-blue`, `${names.web}-green`, `${names.api}-blue`];
            const before = await ids(...untouched);
            const targets = [
                { path: "/", host: API_HOST },
                { path: "/", host: WEB_HOST },
            ];
            const release = await underLoadOnAll(url, targets, 20, async () => {
                program.setConfig({ apiGreenImage: "bluegreen-sample:2", apiLiveColor: "green" });
                return up();
            });
            assertNoLossOnAll(release.load);
            assert.match(release.result, /apiLiveImage\s*: "bluegreen-sample:1" => "bluegreen-sample:2"/);
            assert.strictEqual(await answer("/", API_HOST), "200 version=2 mode=healthy method=GET");
            const rollback = await underLoadOnAll(url, targets, 15, async () => {
                program.setConfig({ apiLiveColor: "blue" });
                return up();
            });
            assertNoLossOnAll(rollback.load);
            assert.strictEqual(await answer("/", API_HOST), "200 version=1 mode=healthy method=GET");
            assert.strictEqual(await answer("/", WEB_HOST), "200 version=3 mode=healthy method=GET");
            assert.deepStrictEqual(await ids(...untouched), before, "the proxy, web and api's blue were not recreated");
        });

        it("refuses a wrong input at preview with the component's one-line error, touching nothing", async () => {
            const before = await ids(`${names.api}-blue`, `${names.api}-green`);
            program.setConfig({ apiLiveColor: "purple" });
            const colour = pulumi("preview");
            assert.notStrictEqual(colour.code, 0);
            assert.match(
                colour.output,
                new RegExp(`App "${names.api}": liveColor must be one of: blue, green \\(got "purple"\\)`),
            );
            program.setConfig({ apiLiveColor: "blue", apiGreenImage: "Bad Image!;rm -rf /" });
            const image = pulumi("preview");
            assert.notStrictEqual(image.code, 0);
            assert.match(image.output, new RegExp(`App "${names.api}": greenImage must be a Docker image reference`));
            program.setConfig({ apiGreenImage: "bluegreen-sample:2" });
            assert.deepStrictEqual(
                await ids(`${names.api}-blue`, `${names.api}-green`),
                before,
                "no container changed",
            );
            assert.strictEqual(await answer("/", API_HOST), "200 version=1 mode=healthy method=GET");
        });

        it("pulumi destroy leaves no container or network behind", async () => {
            const destroyed = pulumi("destroy", "--yes");
            assert.strictEqual(destroyed.code, 0, destroyed.output.slice(-2000));
            assert.strictEqual(await ours(), "");
        });
    });
}

describe("a Go program with bluegreen's generated SDK (examples/go)", function () {
    this.timeout(600000);

    it("compiles against the SDK Pulumi's Go code generator makes from the package schema", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-go-"));
        try {
            fs.cpSync(path.join(REPO, "examples/go"), dir, {
                recursive: true,
                filter: (src) => !src.endsWith("/sdks"),
            });
            const run = (command: string, args: string[]) =>
                childProcess.execFileSync(command, args, {
                    cwd: dir,
                    encoding: "utf8",
                    stdio: ["ignore", "pipe", "pipe"],
                    env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" },
                });
            run("bash", [path.join(REPO, "scripts/go-sdk.sh"), "sdks/go"]);
            const sdk = fs.readFileSync(path.join(dir, "sdks/go/bluegreen/app.go"), "utf8");
            assert.match(sdk, /func NewApp\(ctx \*pulumi\.Context,/);
            run("go", ["build", "-o", path.join(dir, "program"), "."]);
            run("go", ["vet", "."]);
            assert.ok(fs.statSync(path.join(dir, "program")).size > 0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
