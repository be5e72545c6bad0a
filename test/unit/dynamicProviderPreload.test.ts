// scripts/dynamic-provider-preload.js: the Node dynamic provider plugin starts without the closure
// serializer, and whatever asks for it later still gets the real thing.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "../../..");
const PRELOAD = path.join(REPO, "scripts/dynamic-provider-preload.js");
const PLUGIN = path.join(REPO, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js");
const SDK = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [REPO] }));

/**
 * Starts the plugin (with the preload or without) and, once it has printed its port, runs `after`
 * in it and prints what it returns as JSON, then exits.
 */
function startPlugin(withPreload: boolean, after: string): Record<string, unknown> {
    const probe = [
        "const write = process.stdout.write.bind(process.stdout);",
        "process.stdout.write = (chunk) => {",
        "  process.stdout.write = write;",
        // A module of the SDK is loaded when its file is in require's cache (stand-ins only by name).
        "  const loaded = (f) => require.cache[require('path').join(process.env.SDK, f)] !== undefined;",
        `  Promise.resolve((async () => (${after}))()).then(`,
        "    (r) => { write(JSON.stringify({ port: String(chunk).trim(), ...r }) + '\\n'); process.exit(0); },",
        "    (e) => { write(JSON.stringify({ error: String(e) }) + '\\n'); process.exit(0); });",
        "  return true;",
        "};",
    ].join("\n");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-preload-"));
    try {
        fs.writeFileSync(path.join(dir, "probe.js"), probe);
        const args = ["-r", path.join(dir, "probe.js"), PLUGIN, "127.0.0.1:1"];
        if (withPreload) args.unshift("-r", PRELOAD);
        const out = childProcess.execFileSync(process.execPath, args, {
            cwd: path.join(REPO, "scripts"),
            env: { ...process.env, SDK },
            encoding: "utf8",
            timeout: 30000,
        });
        return JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("dynamic provider plugin preload", function () {
    this.timeout(60000);

    it("starts the plugin without the closure serializer or the SDK's index", () => {
        const deferred =
            "{ createClosure: loaded('runtime/closure/createClosure.js'), index: loaded('index.js'), " +
            "codePaths: Object.keys(require.cache).some((k) => k.includes('/normalize-package-data/')) }";
        const without = startPlugin(false, deferred);
        assert.match(String(without.port), /^\d+$/, "the plugin prints its port");
        // Without the preload these load at start: what the preload is for (so this test can fail).
        assert.deepStrictEqual(
            { ...without, port: undefined },
            {
                port: undefined,
                createClosure: true,
                index: true,
                codePaths: true,
            },
        );
        const withPreload = startPlugin(true, deferred);
        assert.match(String(withPreload.port), /^\d+$/, "the plugin prints its port");
        assert.deepStrictEqual(
            { ...withPreload, port: undefined },
            {
                port: undefined,
                createClosure: false,
                index: false,
                codePaths: false,
            },
        );
    });

    it("loads the real modules when something uses them", () => {
        const used = startPlugin(
            true,
            "{ text: (await require(process.env.SDK + '/runtime').serializeFunction(() => 42)).text.includes('42'), " +
                "workspace: typeof require(process.env.SDK + '/runtime/closure/codePaths.js').findWorkspaceRoot, " +
                "createClosure: loaded('runtime/closure/createClosure.js') }",
        );
        assert.deepStrictEqual(
            { ...used, port: undefined },
            { port: undefined, text: true, workspace: "function", createClosure: true },
        );
    });
});
