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
