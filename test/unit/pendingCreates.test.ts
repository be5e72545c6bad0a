// recover's rule for objects an interrupted update created but did not record.
import * as assert from "assert";
import { isOrphan, pendingCreates } from "../../scripts/pendingCreates";

describe("objects left by an interrupted create", () => {
    it("names the containers and services of pending creating operations, and nothing else", () => {
        const op = (type: string, resourceType: string, name?: unknown) => ({
            type,
            resource: { type: resourceType, inputs: name === undefined ? {} : { name } },
        });
        assert.deepStrictEqual(
            pendingCreates([
                op("creating", "docker:index/container:Container", "dev-green"),
                op("creating", "docker:index/service:Service", "swarm-blue"),
                op("updating", "docker:index/container:Container", "dev-blue"),
                op("deleting", "docker:index/container:Container", "dev-proxy"),
                op("creating", "docker:index/remoteImage:RemoteImage", "bluegreen-sample:2"),
                op("creating", "pulumi-nodejs:dynamic:Resource", "dev-green"),
                op("creating", "docker:index/container:Container"),
            ]),
            [
                { kind: "container", name: "dev-green" },
                { kind: "service", name: "swarm-blue" },
            ],
        );
    });

    it("removes only an object of this stack whose ID no resource in the state has", () => {
        const recorded = new Set(["abc", "def"]);
        assert.strictEqual(isOrphan({ id: "new", stack: "dev" }, "dev", recorded), true);
        assert.strictEqual(isOrphan({ id: "abc", stack: "dev" }, "dev", recorded), false, "recorded in the state");
        assert.strictEqual(isOrphan({ id: "new", stack: "prod" }, "dev", recorded), false, "another stack's");
        assert.strictEqual(isOrphan({ id: "new", stack: "" }, "dev", recorded), false, "not managed by us");
        assert.strictEqual(isOrphan({ id: "", stack: "dev" }, "dev", recorded), false, "not found");
    });
});
