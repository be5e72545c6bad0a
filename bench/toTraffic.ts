// Time to traffic: from a command's start to the first answer of the colour it moves traffic to, on
// a fresh connection to nginx's version endpoint. The command runs synchronously (as the benches
// time everything else); a small watcher process polls nginx meanwhile and writes when it saw the change.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The watcher: reads what serves, says it is ready, then polls every 5 ms (60 s at most) until another colour answers. */
const WATCHER = `
const http = require("http"), fs = require("fs");
const [port, hostHeader, out] = process.argv.slice(1);
const colour = () => new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port: Number(port), path: "/__bluegreen/version", agent: false,
        headers: hostHeader ? { host: hostHeader } : {} }, (res) => {
        let body = ""; res.on("data", (d) => (body += d)); res.on("end", () => resolve(body.trim().split(" ")[1]));
    });
    req.on("error", () => resolve(undefined));
    req.setTimeout(1000, () => req.destroy());
});
(async () => {
    const before = await colour();
    fs.writeFileSync(out + ".ready", String(before));
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
        const now = await colour();
        if (now !== undefined && now !== before) { fs.writeFileSync(out, String(Date.now())); return; }
        await new Promise((r) => setTimeout(r, 5));
    }
})();
`;

/**
 * Seconds `run` took, and seconds from its start until another colour answered on `port` of
 * 127.0.0.1 (inside the network namespace `netns` when given; undefined: none did).
 */
export function timedToTraffic(
    port: number,
    run: () => number,
    netns?: string,
): { seconds: number; toTraffic?: number } {
    const out = path.join(os.tmpdir(), `bluegreen-to-traffic-${process.pid}-${Date.now()}`);
    const node = [process.execPath, "-e", WATCHER, String(port), "", out];
    const watcher = netns
        ? childProcess.spawn("ip", ["netns", "exec", netns, ...node], { stdio: "ignore" })
        : childProcess.spawn(node[0], node.slice(1), { stdio: "ignore" });
    try {
        const ready = Date.now() + 10000;
        while (!fs.existsSync(`${out}.ready`) && Date.now() < ready) {
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        }
        const started = Date.now();
        const seconds = run();
        const seen = fs.existsSync(out) ? Number(fs.readFileSync(out, "utf8")) : undefined;
        return { seconds, ...(seen !== undefined ? { toTraffic: (seen - started) / 1000 } : {}) };
    } finally {
        watcher.kill();
        fs.rmSync(out, { force: true });
        fs.rmSync(`${out}.ready`, { force: true });
    }
}
