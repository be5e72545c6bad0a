// Component arguments as settings: read as the core's parsers read text, checked at once when
// plain, and a bad one's error kept as its one line whichever way it surfaces.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { argsReader, isPlain, SettingError, settingsOf } from "../../components/args";
import { ConfigError } from "../../components/core/configError";

const parseColor = (read: (key: string) => string | undefined) => {
    const color = read("liveColor");
    if (color !== "blue" && color !== "green") {
        throw new ConfigError(`App "web": liveColor must be one of: blue, green (got ${JSON.stringify(color)})`);
    }
    return { color };
};

describe("component arguments", () => {
    it("reads numbers, booleans, lists and objects as the parsers' text", () => {
        const read = argsReader({
            port: 8080,
            rate: 0.01,
            on: true,
            off: false,
            hosts: ["a.example", "b.example"],
            volumes: [{ name: "files", path: "/data" }],
            logins: { "h:5000": { username: "u", password: "p" } },
            unset: undefined,
        });
        assert.strictEqual(read("port"), "8080");
        assert.strictEqual(read("rate"), "0.01");
        assert.strictEqual(read("on"), "on");
        assert.strictEqual(read("off"), "off");
        assert.strictEqual(read("hosts"), "a.example,b.example");
        assert.strictEqual(read("volumes"), '[{"name":"files","path":"/data"}]');
        assert.strictEqual(read("logins"), '{"h:5000":{"username":"u","password":"p"}}');
        assert.strictEqual(read("unset"), undefined);
        assert.strictEqual(read("missing"), undefined);
    });

    it("tells plain arguments from those holding an Output or a Promise, however deep", () => {
        assert.ok(isPlain({ a: 1, b: ["x", { c: true }] }));
        assert.ok(!isPlain({ a: pulumi.output(1) }));
        assert.ok(!isPlain({ a: [{ b: pulumi.secret("k") }] }));
        assert.ok(!isPlain({ a: Promise.resolve(1) }));
    });

    it("checks plain arguments at once: a bad one throws one line, no stack trace", () => {
        assert.throws(
            () => settingsOf({ liveColor: "purple" }, parseColor),
            (err: Error) =>
                err instanceof SettingError &&
                pulumi.RunError.isInstance(err) &&
                err.message === 'App "web": liveColor must be one of: blue, green (got "purple")',
        );
        assert.deepStrictEqual(settingsOf({ liveColor: "blue" }, parseColor).known, { color: "blue" });
    });

    it("checks Outputs as they resolve, and the error keeps its one line wherever Pulumi reports it", async () => {
        const { output, known } = settingsOf({ liveColor: pulumi.output("purple") }, parseColor);
        assert.strictEqual(known, undefined);
        // Outputs keep their promise to themselves: the SDK's own accessor, as its serializer uses it.
        const promise = (output as unknown as { promise(): Promise<unknown> }).promise();
        const err = await promise.then(
            () => assert.fail("a bad setting must reject"),
            (e: Error) => e,
        );
        // What the SDK does to a rejected input's error as it serializes each property (runtime/rpc.js).
        err.message = `error serializing property "outputs": ${err.message}`;
        assert.strictEqual(err.message, 'App "web": liveColor must be one of: blue, green (got "purple")');
    });
});
