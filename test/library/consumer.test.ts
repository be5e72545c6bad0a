// bluegreen as a library: the TypeScript example (examples/typescript) as a user has it, in a
// directory of its own with the package installed from `npm pack`'s tarball. Its own Docker volume,
// a Proxy and an App; a release and a rollback by changing the program's inputs under load.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { docker, dockerOk } from "../../components/runtime/docker";
import { probe } from "../../components/runtime/probe";
import { Consumer, installExample } from "../support/consumer";
import { assertNoLoss, underLoad } from "../support/load";

const PUBLIC_PORT = 19580;
const URL = `http://127.0.0.1:${PUBLIC_PORT}`;

describe("a TypeScript program of your own with bluegreen installed (examples/typescript)", function () {
    this.timeout(900000);
    let program: Consumer;
    const stack = `lib${process.pid}`;
    const up = () => program.run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack]);
    const containerIds = async () =>
        dockerOk(["ps", "-q", "--no-trunc", "--filter", `name=^${stack}-`, "--format", "{{.Names}} {{.ID}}"]);

    before(() => {
        program = installExample("typescript", stack);
        program.setConfig({
            liveColor: "blue",
            blueImage: "bluegreen-sample:1",
            greenImage: "bluegreen-sample:1",
            publicPort: String(PUBLIC_PORT),
            proxyImage: "bluegreen-nginx:local",
        });
    });

    after(async () => {
        if (program !== undefined) {
            program.attempt("pulumi", ["destroy", "--yes", "--non-interactive", "--stack", stack]);
            for (const name of ["edge-proxy", "web-blue", "web-green"]) {
                await docker(["rm", "-f", `${stack}-${name}`]);
            }
            await docker(["network", "rm", `${stack}-edge-net`]);
            await docker(["volume", "rm", "-f", `${stack}-files`]);
            program.remove();
        }
    });

    it("deploys its own volume, a Proxy and an App, with the providers loaded from its node_modules", async () => {
        assert.ok(!program.dir.startsWith(path.resolve(__dirname, "../../..")), "the program is outside the checkout");
        assert.ok(
            fs.existsSync(path.join(program.dir, "node_modules/bluegreen/bin/components/providers/healthCheck.js")),
        );
        const output = up();
        assert.match(output, /liveColor\s*: "blue"/);
        assert.match((await probe(`${URL}/`, 3000)).body, /^version=1 /);
        const mounts = await dockerOk(["inspect", "--format", "{{json .Mounts}}", `${stack}-web-blue`]);
        assert.match(mounts, new RegExp(`"Name":"${stack}-files".*"Destination":"/data"`));
        // The dynamic resources' provider text resolves to the installed package's files.
        const state = program.run("pulumi", ["stack", "export", "--stack", stack]);
        assert.match(state, /require\.resolve\(\\"bluegreen\\" \+ \\"\/bin\/\\" \+ relative/);
    });

    it("releases green and rolls back by changing the program's inputs, under GET+POST load, 0 failed", async () => {
        const release = await underLoad(URL, 20, async () => {
            program.setConfig({ greenImage: "bluegreen-sample:2", liveColor: "green" });
            return up();
        });
        assertNoLoss(release.load);
        assert.match(release.result, /liveImage\s*: "bluegreen-sample:1" => "bluegreen-sample:2"/);
        assert.match((await probe(`${URL}/`, 3000)).body, /^version=2 /);
        const proxyBefore = await dockerOk(["inspect", "--format", "{{.Id}}", `${stack}-edge-proxy`]);
        const rollback = await underLoad(URL, 15, async () => {
            program.setConfig({ liveColor: "blue" });
            return up();
        });
        assertNoLoss(rollback.load);
        assert.match((await probe(`${URL}/`, 3000)).body, /^version=1 /);
        assert.strictEqual(await dockerOk(["inspect", "--format", "{{.Id}}", `${stack}-edge-proxy`]), proxyBefore);
    });

    it("refuses a bad input at preview with the component's one-line error, touching nothing", async () => {
        const before = await containerIds();
        program.setConfig({ liveColor: "purple" });
        const preview = program.attempt("pulumi", ["preview", "--non-interactive", "--stack", stack]);
        assert.notStrictEqual(preview.code, 0);
        assert.match(
            preview.output,
            new RegExp(`App "${stack}-web": liveColor must be one of: blue, green \\(got "purple"\\)`),
        );
        program.setConfig({ liveColor: "blue", blueImage: "Bad Image!" });
        const image = program.attempt("pulumi", ["up", "--yes", "--non-interactive", "--stack", stack]);
        assert.notStrictEqual(image.code, 0);
        assert.match(image.output, new RegExp(`App "${stack}-web": blueImage must be a Docker image reference`));
        program.setConfig({ blueImage: "bluegreen-sample:1" });
        assert.strictEqual(await containerIds(), before, "no container changed");
        assert.match((await probe(`${URL}/`, 3000)).body, /^version=1 /);
    });

    it("pulumi destroy leaves no container, network or volume behind", async () => {
        program.run("pulumi", ["destroy", "--yes", "--non-interactive", "--stack", stack]);
        assert.strictEqual(await containerIds(), "");
        assert.strictEqual(await dockerOk(["network", "ls", "-q", "--filter", `name=${stack}-`]), "");
        assert.strictEqual(await dockerOk(["volume", "ls", "-q", "--filter", `name=${stack}-`]), "");
    });
});
