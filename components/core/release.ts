// Release-transition rules: what a change of config means, and which changes are refused.
// Pure: the release guard (at preview) and the preview summary both use it.
import { imageOf } from "./appSettings";
import { Color, otherColor } from "./color";

/** The part of the config that decides what a release does. */
export interface ReleaseState {
    readonly liveColor: Color;
    readonly blueImage: string;
    readonly greenImage: string;
    /** The share of clients (0-100) the idle colour serves as a canary; absent means 0. */
    readonly canaryPercent?: number;
}

export type Transition =
    | { readonly kind: "initial"; readonly live: Color; readonly image: string }
    | { readonly kind: "none" }
    /** The idle colour gets a new image; traffic stays where it is. */
    | { readonly kind: "stage"; readonly color: Color; readonly from: string; readonly to: string }
    /** The idle colour gets a new image and then takes the traffic. */
    | {
          readonly kind: "release";
          readonly from: Color;
          readonly to: Color;
          readonly fromImage: string;
          readonly toImage: string;
          readonly standbyImage: string;
      }
    /** Traffic moves to the other colour, which keeps its image (rollback or promote). */
    | { readonly kind: "switch"; readonly from: Color; readonly to: Color; readonly image: string }
    /** A share of clients goes to the idle colour (after its new image, when `staged`, passes its gates). */
    | {
          readonly kind: "canary";
          readonly color: Color;
          readonly percent: number;
          readonly image: string;
          readonly staged?: { readonly from: string };
      }
    /** The canary ends: every client to the live colour again. */
    | { readonly kind: "abort"; readonly live: Color; readonly image: string; readonly from: Color }
    | { readonly kind: "refused"; readonly reason: string };

/** Classifies a change from the last deployed state (undefined on first deploy) to the new one. */
export function classifyTransition(previous: ReleaseState | undefined, next: ReleaseState): Transition {
    if (previous === undefined) {
        return { kind: "initial", live: next.liveColor, image: imageOf(next, next.liveColor) };
    }
    const oldLive = previous.liveColor;
    const oldLiveImage = imageOf(previous, oldLive);
    if (imageOf(next, oldLive) !== oldLiveImage) {
        return { kind: "refused", reason: refusalReason(previous, next) };
    }
    const idle = otherColor(oldLive);
    const idleChanged = imageOf(next, idle) !== imageOf(previous, idle);
    const [wasCanary, canary] = [previous.canaryPercent ?? 0, next.canaryPercent ?? 0];
    if (wasCanary > 0 && idleChanged) {
        return {
            kind: "refused",
            reason:
                `refused: ${idle}Image changed (${imageOf(previous, idle)} -> ${imageOf(next, idle)}) but ${idle} ` +
                `serves a ${wasCanary}% canary share, so replacing its container would drop those requests. ` +
                `End the canary first: npm run abort (or npm run promote), then release again`,
        };
    }
    if (canary > 0 && next.liveColor !== oldLive) {
        return {
            kind: "refused",
            reason:
                `refused: liveColor changed (${oldLive} -> ${next.liveColor}) with canaryPercent ${canary}: a ` +
                `switch moves all traffic; set canaryPercent 0 with it (npm run promote does both)`,
        };
    }
    if (next.liveColor === oldLive && canary > 0) {
        if (canary === wasCanary && !idleChanged) {
            return { kind: "none" };
        }
        return {
            kind: "canary",
            color: idle,
            percent: canary,
            image: imageOf(next, idle),
            ...(idleChanged ? { staged: { from: imageOf(previous, idle) } } : {}),
        };
    }
    if (next.liveColor === oldLive && wasCanary > 0) {
        // Ended without a new image (one would have been refused above).
        return { kind: "abort", live: oldLive, image: oldLiveImage, from: idle };
    }
    if (next.liveColor === oldLive) {
        return idleChanged
            ? { kind: "stage", color: idle, from: imageOf(previous, idle), to: imageOf(next, idle) }
            : { kind: "none" };
    }
    if (idleChanged) {
        return {
            kind: "release",
            from: oldLive,
            to: idle,
            fromImage: imageOf(previous, idle),
            toImage: imageOf(next, idle),
            standbyImage: oldLiveImage,
        };
    }
    return { kind: "switch", from: oldLive, to: idle, image: imageOf(next, idle) };
}

function refusalReason(previous: ReleaseState, next: ReleaseState): string {
    const live = previous.liveColor;
    const idle = otherColor(live);
    const newImage = imageOf(next, live);
    const stays = next.liveColor === live;
    const what = stays
        ? `${live} is live, so replacing its container in place would drop traffic`
        : `${live} serves traffic until the switch, so its container cannot be replaced in the same update`;
    return (
        `refused: ${live}Image changed (${imageOf(previous, live)} -> ${newImage}) but ${what}. ` +
        `Put the new image on the idle colour instead: pulumi config set ${live}Image ${imageOf(previous, live)} ` +
        `&& npm run release -- ${newImage} (sets ${idle}Image and liveColor=${idle})`
    );
}

/** One line for people: what `pulumi up` will do to traffic. */
export function describeTransition(t: Transition): string {
    switch (t.kind) {
        case "initial":
            return `initial deploy: ${t.live} serves ${t.image}`;
        case "none":
            return "no change";
        case "stage":
            return `stage: ${t.color} ${t.from} -> ${t.to}; traffic stays on ${otherColor(t.color)}`;
        case "release":
            return (
                `release: ${t.to} ${t.fromImage} -> ${t.toImage}; traffic ${t.from} -> ${t.to}; ` +
                `${t.from} stays on ${t.standbyImage} as standby`
            );
        case "switch":
            return `switch: traffic ${t.from} -> ${t.to} (${t.to} runs ${t.image})`;
        case "canary":
            return (
                `canary: ${t.percent}% of clients to ${t.color} (${t.image})` +
                (t.staged ? `; ${t.color} ${t.staged.from} -> ${t.image} first, gated before any share` : "")
            );
        case "abort":
            return `canary off: every client to ${t.live} (${t.image}); ${t.from} keeps running as standby`;
        case "refused":
            return t.reason;
    }
}
