import * as assert from "assert";
import { parseHey } from "../support/hey";

const REPORT = `
Summary:
  Total:	12.0106 secs
  Requests/sec:	199.8237

Latency distribution:
  10% in 0.0006 secs
  50% in 0.0012 secs
  99% in 0.0060 secs

Status code distribution:
  [200]	2400 responses
  [502]	3 responses

Error distribution:
  [20]	Post "http://127.0.0.1:8080/": EOF
  [2]	Get "http://127.0.0.1:8080/": read tcp 127.0.0.1:1->127.0.0.1:8080: read: connection reset by peer
`;

describe("hey report parsing", () => {
    it("counts answers, failures by kind and latency", () => {
        const r = parseHey("POST", REPORT);
        assert.strictEqual(r.ok, 2400);
        assert.deepStrictEqual(r.statuses, { "502": 3 });
        assert.deepStrictEqual(r.errors, { EOF: 20, reset: 2 });
        assert.strictEqual(r.failed, 25);
        assert.strictEqual(r.total, 2425);
        assert.strictEqual(r.p50Ms, 1.2);
        assert.strictEqual(r.p99Ms, 6);
    });

    it("reports zero failures for a clean run", () => {
        const r = parseHey("GET", "Status code distribution:\n  [200]\t10 responses\n");
        assert.deepStrictEqual([r.ok, r.failed], [10, 0]);
    });
});
