// The health gate against a real HTTP server on loopback.
import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { waitHealthy } from "../../components/providers/healthCheck";

type Answer = (hit: number) => number;

async function serve(answer: Answer): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
    let hits = 0;
    const server = http.createServer((_req, res) => {
        hits++;
        res.writeHead(answer(hits), { "Content-Type": "text/plain" }).end("x");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}/health`,
        hits: () => hits,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}

/** A loopback port with nothing listening. */
async function freePort(): Promise<number> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    return port;
}

const gate = { color: "green", timeoutSeconds: 3, intervalMs: 50, threshold: 3 };

describe("health check (real HTTP server)", () => {
    it("passes after the threshold of consecutive 2xx", async () => {
        const server = await serve(() => 200);
        try {
            const report = await waitHealthy({ ...gate, url: server.url });
            assert.strictEqual(report.attempts, 3);
            assert.strictEqual(server.hits(), 3);
        } finally {
            await server.close();
        }
    });

    it("fails after the timeout when never healthy, naming colour, URL, last answer and time", async () => {
        const server = await serve(() => 500);
        const started = Date.now();
        try {
            await assert.rejects(waitHealthy({ ...gate, timeoutSeconds: 1, url: server.url }), (err: Error) => {
                assert.match(
                    err.message,
                    /^health check failed: green is not healthy at http:\/\/127\.0\.0\.1:\d+\/health after 1\.\ds \(last answer: HTTP 500; needed 3 consecutive 2xx, best run 0\)/,
                );
                assert.ok(!err.message.includes("\n"));
                return true;
            });
            const elapsed = Date.now() - started;
            assert.ok(elapsed >= 1000 && elapsed < 2500, `bounded by the timeout, took ${elapsed} ms`);
        } finally {
            await server.close();
        }
    });

    it("never passes a flapping endpoint", async () => {
        const server = await serve((hit) => (hit % 2 === 0 ? 500 : 200));
        try {
            await assert.rejects(waitHealthy({ ...gate, timeoutSeconds: 1, url: server.url }), /best run 1\)/);
            assert.ok(server.hits() > 5, `probed repeatedly (${server.hits()})`);
        } finally {
            await server.close();
        }
    });

    it("waits for a slow starter that comes up within the timeout", async () => {
        const port = await freePort();
        const server = http.createServer((_req, res) => res.writeHead(200).end("ok"));
        const timer = setTimeout(() => server.listen(port, "127.0.0.1"), 700);
        try {
            const report = await waitHealthy({ ...gate, url: `http://127.0.0.1:${port}/health` });
            assert.ok(report.elapsedMs >= 700, `waited for the listener (${report.elapsedMs} ms)`);
            assert.ok(report.attempts > 3, "early probes were refused");
        } finally {
            clearTimeout(timer);
            await new Promise((resolve) => server.close(resolve));
        }
    });

    it("retries soon until the first answer, then spaces the consecutive successes by the interval", async () => {
        const port = await freePort();
        let hits = 0;
        const server = http.createServer((_req, res) => {
            hits++;
            res.writeHead(200).end("ok");
        });
        const timer = setTimeout(() => server.listen(port, "127.0.0.1"), 150);
        try {
            const slow = { ...gate, intervalMs: 400, url: `http://127.0.0.1:${port}/health` };
            const report = await waitHealthy(slow);
            // Refused until 150 ms, retried every 50 ms; then 3 answers need 2 intervals of 400 ms.
            assert.strictEqual(hits, 3, "never fewer (or more) probes than the threshold once it answers");
            assert.ok(report.elapsedMs >= 150 + 800, `successes spaced by the interval (${report.elapsedMs} ms)`);
            assert.ok(
                report.elapsedMs < 150 + 800 + 300,
                `first answer not delayed by a full interval (${report.elapsedMs} ms)`,
            );
        } finally {
            clearTimeout(timer);
            await new Promise((resolve) => server.close(resolve));
        }
    });

    it("reports a refused connection when nothing listens", async () => {
        const port = await freePort();
        await assert.rejects(
            waitHealthy({ ...gate, timeoutSeconds: 1, url: `http://127.0.0.1:${port}/health` }),
            /last answer: no response \(ECONNREFUSED\)/,
        );
    });

    it("gives up on a server that accepts but never answers, within the timeout", async () => {
        const server = http.createServer(() => undefined); // never responds
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as AddressInfo).port;
        const started = Date.now();
        try {
            await assert.rejects(
                waitHealthy({ ...gate, timeoutSeconds: 1, url: `http://127.0.0.1:${port}/health` }),
                /no response \(ECONNABORTED\)/,
            );
            assert.ok(Date.now() - started < 2500);
        } finally {
            server.closeAllConnections();
            await new Promise((resolve) => server.close(resolve));
        }
    });
});
