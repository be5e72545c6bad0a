// The short version of `make bench`: flips and releases under GET and POST keep-alive load.
// It asserts that no request is lost; speed targets live in the bench, not in tests.
import * as assert from "assert";
import { markdownTable, runBench } from "../../bench/swap";

describe("zero downtime under load (short bench)", function () {
    this.timeout(600000);

    it("loses no request across 3 flips and 2 releases at 200 rps", async () => {
        const result = await runBench({
            flips: 3,
            releases: 2,
            naiveSwaps: 0,
            rps: 200,
            baselineSeconds: 5,
            publicPort: 19180,
            log: (line) => console.log(`      ${line}`),
        });
        console.log(markdownTable([result]));
        for (const name of ["flip", "release"]) {
            const scenario = result.scenarios.find((s) => s.name === name);
            assert.ok(scenario, `${name} ran`);
            assert.ok(scenario.requests > 1000, `${name}: ${scenario.requests} requests`);
            assert.strictEqual(scenario.failed, 0, `${name}: ${JSON.stringify(scenario.failedByKind)}`);
            assert.strictEqual(scenario.switchMs.length, scenario.swaps, `${name}: every swap switched`);
        }
    });
});
