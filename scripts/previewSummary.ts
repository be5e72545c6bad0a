// Turns `pulumi preview --json` into the short human summary of a release. Pure: tested on
// recorded previews; scripts/cli.ts runs the preview and prints the result.
import { Color } from "../components/core/color";
import { classifyTransition, describeTransition, ReleaseState } from "../components/core/release";

export interface PreviewStep {
    readonly op: string;
    readonly urn: string;
    readonly oldState?: { readonly inputs?: Record<string, unknown> };
    readonly newState?: { readonly inputs?: Record<string, unknown> };
    readonly diffReasons?: string[];
}

export interface PreviewJson {
    readonly steps?: PreviewStep[];
    readonly diagnostics?: { readonly message?: string; readonly severity?: string; readonly urn?: string }[];
    readonly changeSummary?: Record<string, number>;
}

export interface PreviewSummary {
    /** False when the preview failed (refused release, bad config). */
    readonly ok: boolean;
    /** One line: "release: ...", "switch: ...", "stage: ...", "no change", or the error. */
    readonly headline: string;
    /** What each changing resource will do, for the details table. */
    readonly changes: { readonly resource: string; readonly op: string; readonly keys: string[] }[];
}

const SHOWN_OPS = new Set(["create", "update", "replace", "delete", "create-replacement"]);

function resourceName(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

/** Pulumi's marker for a value known only after the update (e.g. a new container's ID). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const MAX_VALUE = 60;

function show(value: unknown): string {
    if (value === UNKNOWN) return "(computed)";
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text === undefined ? "(none)" : text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}...` : text;
}

/**
 * What changes in a step's inputs, as "key: old -> new". Dynamic providers leave diffReasons empty
 * (every differing input is listed); a bridged provider (@pulumi/docker) names its reasons, each
 * shown with its values when it is a top-level input.
 */
function changedInputs(step: PreviewStep): string[] {
    const olds = step.oldState?.inputs ?? {};
    const news = step.newState?.inputs ?? {};
    const differs = (k: string) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]);
    const withValues = (k: string) => `${k}: ${show(olds[k])} -> ${show(news[k])}`;
    if (step.diffReasons && step.diffReasons.length > 0) {
        return step.diffReasons.map((k) => ((k in olds || k in news) && differs(k) ? withValues(k) : k));
    }
    const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => !k.startsWith("__"));
    return keys.filter(differs).sort().map(withValues);
}

/** Components (bluegreen:index:*) and the stack only group resources; their steps say nothing new. */
function isCustomResource(urn: string): boolean {
    const type = (urn.split("::")[2] ?? "").split("$").pop() ?? "";
    return type !== "pulumi:pulumi:Stack" && !type.startsWith("bluegreen:index:");
}

function releaseState(inputs: Record<string, unknown> | undefined): ReleaseState | undefined {
    const { liveColor, blueImage, greenImage, canaryPercent } = inputs ?? {};
    if (
        (liveColor === "blue" || liveColor === "green") &&
        typeof blueImage === "string" &&
        typeof greenImage === "string"
    ) {
        return { liveColor, blueImage, greenImage, ...(typeof canaryPercent === "number" ? { canaryPercent } : {}) };
    }
    return undefined;
}

/** The first error line of a failed preview, without Pulumi's framing. */
function errorLine(preview: PreviewJson): string | undefined {
    const errors = (preview.diagnostics ?? []).filter((d) => d.severity === "error" && d.message);
    const messages = errors
        .map((d) => d.message!.trim())
        .filter((m) => m !== "update failed" && m !== "preview failed");
    const best = messages.find((m) => /refused:|bluegreen:|(?:App|Proxy) "/.test(m)) ?? messages[0];
    if (best === undefined) {
        return undefined;
    }
    const refused = /refused: .*/.exec(best);
    const line = refused ? refused[0] : (best.split("\n").find((l) => l.trim() !== "") ?? best);
    return line.trim().replace(/^error: /, "");
}

/**
 * Whether `urn` is the app's own `role` resource (`<app>-guard`, `<app>-switch`): a dynamic resource
 * whose parent is an App (or, in a preview made before the Proxy/App API, the BlueGreenService).
 */
export function isAppPart(urn: string, role: "guard" | "switch"): boolean {
    const [type = "", name = ""] = urn.split("::").slice(2);
    return (
        /(?:^|\$)bluegreen:index:(?:App|BlueGreenService)\$pulumi-nodejs:dynamic:Resource$/.test(type) &&
        name.endsWith(`-${role}`)
    );
}

/** The App a resource of an App belongs to (`<app>-guard`, `<app>-blue-container`, ...), given its candidates. */
function belongsTo(resource: string, app: string): boolean {
    return (
        resource.startsWith(`${app}-`) &&
        /^(?:guard|switch|smoke-test|(?:blue|green)(?:-[a-z]+)*)$/.test(resource.slice(app.length + 1))
    );
}

/** What the proxy switch's step changes at the edge: maintenance, HTTPS, verification, as short notes. */
export function edgeNotes(steps: readonly PreviewStep[], app?: string): string[] {
    const step = steps.find(
        (s) =>
            isAppPart(s.urn, "switch") &&
            SHOWN_OPS.has(s.op) &&
            (app === undefined || resourceName(s.urn) === `${app}-switch`),
    );
    if (step === undefined) {
        return [];
    }
    const olds = step.op === "create" ? {} : (step.oldState?.inputs ?? {});
    const news = step.newState?.inputs ?? {};
    const notes: string[] = [];
    const maintenance = news.maintenance as { healthPath?: string } | undefined;
    if (Boolean(olds.maintenance) !== Boolean(maintenance)) {
        notes.push(
            maintenance
                ? `maintenance on: nginx answers 503 for every path but ${maintenance.healthPath ?? "the health path"}`
                : "maintenance off: nginx serves the live colour again",
        );
    }
    // A certificate from config by its file's fingerprint; one from ACME by the word.
    const certificate = (inputs: Record<string, unknown>) => {
        const tls = inputs.tls as { certificate?: string; acmeChallenge?: string } | undefined;
        if (tls === undefined) return undefined;
        return tls.acmeChallenge ? "from ACME" : (/([0-9a-f]{16})\.crt$/.exec(tls.certificate ?? "")?.[1] ?? "?");
    };
    const [before, after] = [certificate(olds), certificate(news)];
    if (before !== after) {
        notes.push(
            after === undefined
                ? "https off"
                : before === undefined
                  ? `https on (certificate ${after})`
                  : `https: new certificate ${before} -> ${after}`,
        );
    }
    const verifying = verificationNote(olds, news);
    if (verifying !== undefined) {
        notes.push(verifying);
    }
    return notes;
}

interface VerificationInputs {
    readonly seconds: number;
    readonly maxErrorRate: number;
    readonly maxP99Ms?: number;
}

/** Verification turned on or off, or the watch a switch to a new colour or a canary's share will get. */
function verificationNote(olds: Record<string, unknown>, news: Record<string, unknown>): string | undefined {
    const v = news.verification as VerificationInputs | undefined;
    const moves =
        olds.color !== undefined &&
        (olds.color !== news.color ||
            (news.canary !== undefined && JSON.stringify(olds.canary) !== JSON.stringify(news.canary)));
    if (v === undefined) {
        return olds.verification === undefined ? undefined : "verification off";
    }
    const limits = `over ${(v.maxErrorRate * 100).toFixed(1)}% 5xx${v.maxP99Ms ? ` or a p99 over ${v.maxP99Ms} ms` : ""}`;
    if (moves) {
        return `then verified for ${v.seconds} s (undone ${limits})`;
    }
    return olds.verification === undefined ? `verification on: ${v.seconds} s after each switch, ${limits}` : undefined;
}

/**
 * Summarizes a preview. `serving` is the colour nginx serves now, when known (by App name when the
 * stack has several): after a failed release, config and traffic can disagree and traffic is what
 * matters. With several Apps the headline has one part per app (`api: release ...; web: unchanged`),
 * each named without the stack's prefix.
 */
export function summarizePreview(
    preview: PreviewJson,
    serving?: Color | Readonly<Record<string, Color>>,
    stack?: { readonly name: string; readonly apps: readonly string[] },
): PreviewSummary {
    const steps = preview.steps ?? [];
    const changes = steps
        .filter((s) => SHOWN_OPS.has(s.op) && s.op !== "create-replacement" && isCustomResource(s.urn))
        .map((s) => ({ resource: resourceName(s.urn), op: s.op, keys: changedInputs(s) }));
    const error = errorLine(preview);
    if (error !== undefined) {
        return { ok: false, headline: error, changes };
    }
    const guards = steps.filter((s) => isAppPart(s.urn, "guard"));
    const servingOf = (app: string | undefined) =>
        typeof serving === "string" ? serving : app === undefined ? undefined : serving?.[app];
    // A preview lists what changes: the apps of the stack name the ones that do not.
    const changing = guards.map((g) => resourceName(g.urn).replace(/-guard$/, ""));
    const apps = [...new Set([...(stack?.apps ?? []), ...changing])];
    if (apps.length <= 1) {
        const app = changing[0];
        return { ...appSummary(steps, guards[0], changes, servingOf(app)), changes };
    }
    const parts = apps.map((app) => {
        const guard = guards.find((g) => resourceName(g.urn) === `${app}-guard`);
        const own = changes.filter((c) => belongsTo(c.resource, app));
        const summary = appSummary(steps, guard, own, servingOf(app), app);
        const name = stack?.name;
        const label = name !== undefined && app.startsWith(`${name}-`) ? app.slice(name.length + 1) : app;
        // Within an app's part commas, between apps semicolons.
        const text = summary.headline === "no change" ? "unchanged" : summary.headline.split("; ").join(", ");
        return {
            ok: summary.ok,
            text: `${label}: ${text}`,
        };
    });
    return { ok: parts.every((p) => p.ok), headline: parts.map((p) => p.text).join("; "), changes };
}

/** One App's part of a preview: its release transition (from its guard) and what its switch changes. */
function appSummary(
    steps: readonly PreviewStep[],
    guard: PreviewStep | undefined,
    changes: PreviewSummary["changes"],
    serving: Color | undefined,
    app?: string,
): Omit<PreviewSummary, "changes"> {
    const next = releaseState(guard?.newState?.inputs);
    if (guard === undefined || next === undefined) {
        const notes = edgeNotes(steps, app);
        return {
            ok: true,
            headline: notes.length
                ? notes.join("; ")
                : changes.length
                  ? "changes outside the release (see below)"
                  : "no change",
        };
    }
    const old = guard.op === "create" ? undefined : releaseState(guard.oldState?.inputs ?? guard.newState?.inputs);
    const previous = old && serving ? { ...old, liveColor: serving } : old;
    const transition = classifyTransition(previous, next);
    const notes = transition.kind === "refused" ? [] : edgeNotes(steps, app);
    const headline =
        transition.kind === "none" && notes.length > 0
            ? notes.join("; ")
            : transition.kind === "none" && changes.length > 0
              ? "no release change; settings change (see below)"
              : [describeTransition(transition), ...notes].join("; ");
    return { ok: transition.kind !== "refused", headline };
}

export function renderText(summary: PreviewSummary): string {
    const lines = [summary.headline];
    for (const c of summary.changes) {
        lines.push(`  ${c.op.padEnd(8)} ${c.resource}${c.keys.length ? ` (${c.keys.join(", ")})` : ""}`);
    }
    return lines.join("\n");
}

/** The marker lets CI find and update its own comment. */
export const COMMENT_MARKER = "<!-- bluegreen-preview -->";

export function renderMarkdown(summary: PreviewSummary, stack: string, fullDiff: string, engine?: string): string {
    const rows = summary.changes.map(
        (c) => `| \`${c.resource}\` | ${c.op} | ${c.keys.map((k) => `\`${k}\``).join(", ")} |`,
    );
    return [
        COMMENT_MARKER,
        `### bluegreen preview: \`${stack}\``,
        "",
        `${summary.ok ? "" : ":no_entry: "}**${summary.headline}**`,
        "",
        ...(engine ? [`Engine: ${engine}`, ""] : []),
        ...(rows.length ? ["| resource | change | because of |", "| --- | --- | --- |", ...rows, ""] : []),
        "<details><summary>pulumi preview --diff</summary>",
        "",
        "```",
        fullDiff.trim(),
        "```",
        "</details>",
        "",
    ].join("\n");
}
