import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { staleLocks } from "../../scripts/locks";

describe("stale lock detection", () => {
    it("finds only this host's locks of the stack whose process is gone", () => {
        const backend = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-locks-"));
        try {
            const dir = path.join(backend, ".pulumi", "locks", "organization", "bluegreen", "dev");
            const other = path.join(backend, ".pulumi", "locks", "organization", "bluegreen", "prod");
            fs.mkdirSync(dir, { recursive: true });
            fs.mkdirSync(other, { recursive: true });
            const write = (where: string, name: string, pid: number, hostname = os.hostname()) =>
                fs.writeFileSync(path.join(where, name), JSON.stringify({ pid, hostname }));
            write(dir, "dead.json", 2 ** 22 + 12345); // above the kernel's pid limit: never alive
            write(dir, "alive.json", process.pid);
            write(dir, "elsewhere.json", 2 ** 22 + 1, "another-host");
            write(other, "dead-prod.json", 2 ** 22 + 2);
            assert.deepStrictEqual(staleLocks(`file://${backend}`, "dev"), [path.join(dir, "dead.json")]);
            assert.deepStrictEqual(staleLocks("s3://bucket", "dev"), []);
        } finally {
            fs.rmSync(backend, { recursive: true, force: true });
        }
    });
});
