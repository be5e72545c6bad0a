// Verification rules: what nginx's answers log says about a colour, and whether that passes.
// Pure: the switch feeds it log text as it reads it (components/runtime/verifyWindow.ts).
import type { VerificationSettings } from "./appSettings";
import type { Color } from "./color";

/** One answer as nginx logged it (components/core/nginx/verify.ts): only those an upstream gave count. */
export interface Answer {
    readonly color: string;
    readonly status: number;
    readonly ms: number;
}

/**
 * Complete lines of the log (`<msec> <colour> <status> <request time> <upstream status...>`), and
 * the unfinished tail to prepend to the next read. Answers nginx gave itself (maintenance, the
 * version endpoint) have no upstream status and are left out.
 */
export function parseAnswers(text: string): { answers: Answer[]; rest: string } {
    const end = text.lastIndexOf("\n");
    const answers: Answer[] = [];
    for (const line of text.slice(0, end + 1).split("\n")) {
        const [, color, status, seconds, ...upstream] = line.trim().split(" ");
        if (upstream.length === 0 || upstream[0] === "-" || !/^[0-9]{3}$/.test(status ?? "")) {
            continue;
        }
        answers.push({ color, status: Number(status), ms: Math.round(Number(seconds) * 1000) });
    }
    return { answers, rest: text.slice(end + 1) };
}

/** A colour's answers so far in a window. */
export interface Tally {
    readonly color: string;
    requests: number;
    /** Answers clients got as 5xx: the app's own, and nginx's 502/504 when the colour failed it. */
    errors: number;
    readonly times: number[];
}

export function emptyTally(color: string): Tally {
    return { color, requests: 0, errors: 0, times: [] };
}

export function addAnswers(tally: Tally, answers: readonly Answer[]): void {
    for (const a of answers) {
        if (a.color !== tally.color) {
            continue;
        }
        tally.requests++;
        tally.errors += a.status >= 500 ? 1 : 0;
        tally.times.push(a.ms);
    }
}

/** The 99th percentile (nearest rank) of answer times, in ms. */
export function p99(times: readonly number[]): number {
    if (times.length === 0) {
        return 0;
    }
    const sorted = [...times].sort((a, b) => a - b);
    return sorted[Math.ceil(sorted.length * 0.99) - 1];
}

export type Verdict =
    | { readonly kind: "fail"; readonly reason: string }
    | { readonly kind: "pass"; readonly summary: string }
    | { readonly kind: "too-few"; readonly summary: string }
    | { readonly kind: "watching" };

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

/**
 * Judges a tally `seconds` into the window. It fails as soon as enough answers break a threshold,
 * so a bad release is undone within a poll of going bad, not at the end of the window; at the end
 * (`final`) it passes, or with fewer than `minRequests` answers is not judged.
 */
export function judge(t: Tally, v: VerificationSettings, seconds: number, final: boolean): Verdict {
    const over = t.requests >= v.minRequests;
    const rate = t.requests === 0 ? 0 : t.errors / t.requests;
    const slowest = p99(t.times);
    if (over && rate > v.maxErrorRate) {
        return {
            kind: "fail",
            reason:
                `${t.color} answered ${t.errors} of ${t.requests} requests with 5xx ` +
                `(${percent(rate)} > ${percent(v.maxErrorRate)}) in ${seconds} s`,
        };
    }
    if (over && v.maxP99Ms !== undefined && slowest > v.maxP99Ms) {
        return {
            kind: "fail",
            reason: `${t.color} answered ${t.requests} requests with a p99 of ${slowest} ms (> ${v.maxP99Ms} ms) in ${seconds} s`,
        };
    }
    if (!final) {
        return { kind: "watching" };
    }
    if (!over) {
        return {
            kind: "too-few",
            summary:
                `${t.color} answered ${t.requests} request(s) in ${seconds} s, fewer than minRequests ` +
                `(${v.minRequests}): not judged`,
        };
    }
    return {
        kind: "pass",
        summary:
            `${t.color} answered ${t.requests} requests, ${t.errors} with 5xx (${percent(rate)} <= ` +
            `${percent(v.maxErrorRate)}), p99 ${slowest} ms, in ${seconds} s`,
    };
}

/** What a switch changes, as far as verification cares. */
export interface Served {
    readonly color: Color;
    readonly canary?: { readonly percent: number; readonly color: Color };
    /** The proxy container: a new one has no previous config to return to. */
    readonly proxyContainerId: string;
}

/**
 * The colour a switch from `previous` to `next` must verify: the new live colour, or a canary's
 * when its share is new or larger. None when traffic does not move to anyone new, or when the proxy
 * was recreated (its previous config, the one a rollback restores, is the placeholder).
 */
export function colorToVerify(previous: Served, next: Served): Color | undefined {
    if (previous.proxyContainerId !== next.proxyContainerId) {
        return undefined;
    }
    if (next.color !== previous.color) {
        return next.color;
    }
    const [was, now] = [previous.canary, next.canary];
    if (now !== undefined && (was === undefined || was.color !== now.color || now.percent > was.percent)) {
        return now.color;
    }
    return undefined;
}

/** Where traffic goes under `served`, for messages: `blue (app:1)`, with a canary's share if any. */
export function describeServed(served: Served, images: Readonly<Record<Color, string>>): string {
    const main = `${served.color} (${images[served.color]})`;
    return served.canary ? `${main}, with ${served.canary.percent}% of clients to ${served.canary.color}` : main;
}
