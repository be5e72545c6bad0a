// The verification window: after a switch, read nginx's answers log in the proxy's container as
// it grows and judge the colour that just took traffic (rules in components/core/verification.ts).
import type { VerificationSettings } from "../core/appSettings";
import type { Color } from "../core/color";
import { VERIFY_LOG } from "../core/nginx";
import { addAnswers, emptyTally, judge, parseAnswers, Verdict } from "../core/verification";
import { RunResult } from "./process";
import { lastLine } from "../core/text";
import { sleep } from "./probe";

/** What the switch is given to verify with: the thresholds, and the colours' images for its message. */
export interface VerificationInput extends VerificationSettings {
    readonly images: Readonly<Record<Color, string>>;
}

/** Runs a shell command in the proxy's container. */
export type InProxy = (command: string) => Promise<RunResult>;

/** How often the log is read: a bad release is undone within about this long of going bad. */
export const POLL_MS = 500;

/**
 * Watches `color`'s answers in `log` (the proxy's, or an app's on a shared proxy) for `v.seconds` from now, reading only what was added since the last
 * read. Resolves with the first decisive verdict; rejects when the log cannot be read.
 */
export async function watchAnswers(
    run: InProxy,
    color: Color,
    v: VerificationSettings,
    log = VERIFY_LOG,
): Promise<Exclude<Verdict, { kind: "watching" }>> {
    const started = Date.now();
    const tally = emptyTally(color);
    let offset = 0;
    let rest = "";
    for (;;) {
        const elapsed = Date.now() - started;
        const final = elapsed >= v.seconds * 1000;
        const read = await run(`tail -c +${offset + 1} ${log}`);
        if (read.code !== 0) {
            throw new Error(`could not read nginx's answers log: ${lastLine(read.stderr || read.stdout)}`);
        }
        offset += Buffer.byteLength(read.stdout, "utf8");
        const parsed = parseAnswers(rest + read.stdout);
        rest = parsed.rest;
        addAnswers(tally, parsed.answers);
        const verdict = judge(tally, v, Math.round(elapsed / 1000), final);
        if (verdict.kind !== "watching") {
            return verdict;
        }
        await sleep(Math.max(0, Math.min(POLL_MS, v.seconds * 1000 - elapsed)));
    }
}
