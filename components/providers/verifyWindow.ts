// The verification window: after a switch, read nginx's answers log in the proxy's container as
// it grows and judge the colour that just took traffic (rules in components/verification.ts).
import type { Color, VerificationSettings } from "../config";
import { VERIFY_DIR, VERIFY_LOG, VERIFY_MARKER } from "../nginx";
import { addAnswers, emptyTally, judge, parseAnswers, Verdict } from "../verification";
import { lastLine, RunResult } from "./docker";
import { sleep } from "./probe";

/** What the switch is given to verify with: the thresholds, and the colours' images for its message. */
export interface VerificationInput extends VerificationSettings {
    readonly images: Readonly<Record<Color, string>>;
}

/** Runs a shell command in the proxy's container. */
export type InProxy = (command: string) => Promise<RunResult>;

/** How often the log is read: a bad release is undone within about this long of going bad. */
export const POLL_MS = 500;

/** The log's directory, where nginx's workers (not root) must see the marker. */
export const MAKE_VERIFY_DIR = `mkdir -p ${VERIFY_DIR} && chmod 755 ${VERIFY_DIR}`;
/** Before the reload: an empty log, and the marker that makes nginx write it. */
export const START_ANSWERS = `${MAKE_VERIFY_DIR} && : > ${VERIFY_LOG} && touch ${VERIFY_MARKER} && chmod 644 ${VERIFY_MARKER}`;
/** After the window, whatever its outcome: nginx stops logging and the log is emptied. */
export const STOP_ANSWERS = `rm -f ${VERIFY_MARKER}; : > ${VERIFY_LOG}`;

/**
 * Watches `color`'s answers for `v.seconds` from now, reading only what was added since the last
 * read. Resolves with the first decisive verdict; rejects when the log cannot be read.
 */
export async function watchAnswers(
    run: InProxy,
    color: Color,
    v: VerificationSettings,
): Promise<Exclude<Verdict, { kind: "watching" }>> {
    const started = Date.now();
    const tally = emptyTally(color);
    let offset = 0;
    let rest = "";
    for (;;) {
        const elapsed = Date.now() - started;
        const final = elapsed >= v.seconds * 1000;
        const read = await run(`tail -c +${offset + 1} ${VERIFY_LOG}`);
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
