// `npm run rollback`: traffic back to the standby colour (after a fresh health probe of it); when a
// failed release left config ahead of traffic, config follows traffic instead.
import { otherColor } from "../../components/core/color";
import { imageOf } from "../../components/core/appSettings";
import { configMatches, currentStack, serving, up } from "./stack";
import { colourRuns } from "./containers";

export async function rollback(app?: string): Promise<number> {
    const stack = await currentStack(app);
    const s = stack.settings;
    const now = await serving(stack);
    const from = now?.color ?? s.liveColor;
    const to = otherColor(from);
    const share = String(now?.canary?.percent ?? 0);
    if (now !== undefined && !configMatches(s, now)) {
        // A failed release (or one its verification undid) left config ahead of traffic: rolling
        // back means config follows traffic.
        console.log(
            `rollback: config says liveColor=${s.liveColor} canaryPercent=${s.canaryPercent} but ` +
                `nginx serves ${now.color} with ${share}% canary; setting config to match`,
        );
        return up(stack, {
            liveColor: now.color,
            ...(stack.configured.canaryPercent !== undefined || share !== "0" ? { canaryPercent: share } : {}),
        });
    }
    const state = await colourRuns(stack, to);
    if (!state.running) {
        throw new Error(
            `rollback refused: the ${to} ${state.text}, ` +
                `so traffic would go to a dead colour; release a good image instead (npm run release -- <image>)`,
        );
    }
    console.log(`rollback: traffic ${from} -> ${to} (${to} runs ${imageOf(s, to)})`);
    // A canary ends with the rollback: every client goes to `to`.
    return up(stack, { liveColor: to, ...(s.canaryPercent > 0 ? { canaryPercent: "0" } : {}) });
}
