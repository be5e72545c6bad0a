// The stack program with several apps: the `apps` key beside the flat keys of the stack's own app,
// the helpers with --app NAME, status of every app and the preview's line per app. Real nginx,
// Docker and Pulumi on this machine.
import * as assert from "assert";
import { dockerOk } from "../../components/runtime/docker";
import { routedClient } from "../support/routed";
import { assertNoLoss, underLoad } from "../support/load";
import { addApp, createTestStack, runCli, runPulumi, sampleConfig, TestStack } from "../support/stack";

const PUBLIC_PORT = 18180;
const URL = `http://127.0.0.1:${PUBLIC_PORT}`;

const { get, answer: body } = routedClient(URL);

describe("the stack program with several apps (bluegreen:apps, --app)", function () {
    this.timeout(900000);
    let t: TestStack;
    const ids = (prefix: string) =>
        dockerOk([
            "ps",
            "-q",
            "--no-trunc",
            "--filter",
            `name=^${prefix}-(blue|green)$`,
            "--format",
            "{{.Names}} {{.ID}}",
        ]);
    const cli = (...args: string[]) => {
        const result = runCli(t, ...args);
        assert.strictEqual(result.code, 0, result.output);
        return result.output;
    };

    before(async () => {
        t = await createTestStack("apps", sampleConfig(PUBLIC_PORT));
        await t.stack.up();
    });

    after(async () => {
        await t?.cleanup();
    });

    it("adds an app of `apps` to a stack that served one: the preview names each app, no container of the first changes", async () => {
        const own = await ids(t.name);
        addApp(t, "api", "bluegreen-sample:2", PUBLIC_PORT + 4, { pathPrefix: "/api", "hosts[0]": "app.test" });
        const preview = runCli(t, "preview");
        assert.strictEqual(preview.code, 0, preview.output);
        assert.match(preview.output, new RegExp(`^${t.name}: [^;]+; api: `, "m"));
        const added = await underLoad(URL, 15, async () => t.stack.up());
        assertNoLoss(added.load);
        assert.strictEqual(await ids(t.name), own, "the stack's own app kept its containers");
        assert.match(await body("/"), /^200 version=1 /);
        assert.match(await body("/api/x", "app.test"), /^200 version=2 /);
        assert.strictEqual(await body("/api/health", "app.test"), "200 ok", "its prefix is taken off");
        const outputs = await t.stack.outputs();
        const apps = outputs.apps.value as Record<string, { liveColor: string; url: string }>;
        assert.strictEqual(apps.api.liveColor, "blue");
        assert.strictEqual(apps.api.url, `${URL}/api`);
        assert.strictEqual(outputs.liveColor.value, "blue", "the stack's own app's outputs as before");
    });

    it("releases, rolls back and puts one app in maintenance with --app; the other is untouched", async () => {
        const own = await ids(t.name);
        const release = await underLoad(URL, 15, async () => cli("release", "--app", "api", "bluegreen-sample:3"));
        assertNoLoss(release.load);
        assert.match(
            release.result,
            /release: green bluegreen-sample:2 -> bluegreen-sample:3, then traffic blue -> green/,
        );
        assert.match(await body("/api/x", "app.test"), /^200 version=3 /);
        assert.match(await body("/"), /^200 version=1 /);
        assert.strictEqual(await ids(t.name), own);
        const config = runPulumi(t, "config", "--json").output;
        assert.match(config, /"greenImage": "bluegreen-sample:3"/);

        const status = cli("status");
        assert.match(status, new RegExp(`^app: +${t.name} \\(the stack's own\\): any host /$`, "m"));
        assert.match(status, /^app: +api: app\.test \/api$/m);
        assert.match(status, /^serving: green at http:\/\/127\.0\.0\.1:18180\/api \(Host: app\.test\)$/m);

        cli("rollback", "--app", "api");
        assert.match(await body("/api/x", "app.test"), /^200 version=2 /);
        cli("maintenance", "--app", "api", "on");
        assert.strictEqual((await get("/api/x", "app.test")).status, 503);
        assert.match(await body("/"), /^200 version=1 /, "only api is in maintenance");
        cli("maintenance", "off", "--app", "api");
        assert.match(await body("/api/x", "app.test"), /^200 version=2 /);
    });

    it("runs a canary of one app and promotes it", async () => {
        cli("release", "--app", "api", "bluegreen-sample:3", "--canary", "100");
        assert.match((await get("/api/__bluegreen/version", "app.test")).body, /^[0-9a-f]{12} blue canary 100 green$/m);
        assert.strictEqual((await get("/")).headers["set-cookie"], undefined, "the other app has no canary");
        cli("promote", "--app", "api");
        assert.match((await get("/api/__bluegreen/version", "app.test")).body, /^[0-9a-f]{12} green$/m);
    });

    it("updates only the helper's app: another app's pending change waits for a plain pulumi up", async () => {
        runPulumi(t, "config", "set", "bluegreen:maintenance", "on");
        const rollback = cli("rollback", "--app", "api");
        assert.match(rollback, /^only api is updated; /m);
        assert.match(
            rollback,
            new RegExp(`--target urn:pulumi:${t.name}::bluegreen::bluegreen:index:App::${t.name}-api `),
        );
        assert.match(await body("/api/x", "app.test"), /^200 version=2 /);
        assert.match(await body("/"), /^200 version=1 /, "the own app's pending maintenance is not applied");
        await t.stack.up();
        assert.strictEqual((await get("/")).status, 503, "a plain pulumi up applies it");
        assert.match(cli("maintenance", "off"), /^only the stack's own app is updated; /m);
        assert.match(await body("/"), /^200 version=1 /);
    });

    it("says in one line which apps there are when --app names none of them", () => {
        const result = runCli(t, "release", "--app", "nope", "bluegreen-sample:2");
        assert.strictEqual(result.code, 2);
        assert.match(
            result.output,
            /^error: the stack apps\d+ has no app "nope" under bluegreen:apps \(it has: api\)$/m,
        );
    });
});
