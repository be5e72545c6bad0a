// Light GET and POST load around an action, and the assertion that none of it was lost.
import * as assert from "assert";
import { LoadResult, startLoad } from "./hey";

/**
 * GET and POST (2 keep-alive connections each, 50 rps each) on `url` while `action` runs; from
 * inside `netns` when given (a remote test host, whose 127.0.0.1 `url` then means).
 */
export async function underLoad<T>(
    url: string,
    seconds: number,
    action: () => Promise<T>,
    netns?: string,
): Promise<{ result: T; load: LoadResult[] }> {
    const load = Promise.all(
        (["GET", "POST"] as const).map((method) =>
            startLoad({ url, seconds, rpsPerConnection: 25, connections: 2, method, netns }),
        ),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const result = await action();
    return { result, load: await load };
}

export function assertNoLoss(load: LoadResult[]): void {
    for (const l of load) {
        assert.ok(l.total > 100, `${l.method}: load ran (${l.total} requests)`);
        assert.strictEqual(l.failed, 0, `${l.method}: ${JSON.stringify({ statuses: l.statuses, errors: l.errors })}`);
    }
}

/** Runs a command that must fail; returns its error message and how long it took. */
export async function expectFailure(run: () => Promise<unknown>): Promise<{ message: string; seconds: number }> {
    const started = Date.now();
    try {
        await run();
    } catch (err) {
        return { message: String((err as Error).message), seconds: (Date.now() - started) / 1000 };
    }
    throw new Error("the command was expected to fail");
}

/** GET and POST load on every (path, host) of the proxy at `base` while `action` runs. */
export async function underLoadOnAll<T>(
    base: string,
    targets: readonly { path: string; host?: string }[],
    seconds: number,
    action: () => Promise<T>,
): Promise<{ result: T; load: (LoadResult & { target: string })[] }> {
    const runs = targets.flatMap((t) =>
        (["GET", "POST"] as const).map((method) =>
            startLoad({
                url: `${base}${t.path}`,
                host: t.host,
                seconds,
                rpsPerConnection: 20,
                connections: 1,
                method,
            }).then((result) => ({ ...result, target: `${t.host ?? "(no host)"}${t.path}` })),
        ),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const result = await action();
    return { result, load: await Promise.all(runs) };
}

export function assertNoLossOnAll(load: readonly (LoadResult & { target: string })[]): void {
    for (const l of load) {
        assert.ok(l.total > 50, `${l.method} ${l.target}: load ran (${l.total} requests)`);
        assert.strictEqual(
            l.failed,
            0,
            `${l.method} ${l.target}: ${JSON.stringify({ statuses: l.statuses, errors: l.errors })}`,
        );
    }
}
