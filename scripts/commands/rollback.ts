// `npm run rollback`: traffic back to the standby colour, at once and before the update that
// records it (./trafficFirst.ts), after a fresh health probe of it; when a failed release left
// config ahead of traffic, config follows traffic instead.
import { otherColor } from "../../components/core/color";
import { imageOf } from "../../components/core/appSettings";
import { configMatches, currentStack, serving, up } from "./stack";
import { mustAnswer, trafficFirst, findProxyAhead } from "./trafficFirst";

export async function rollback(app?: string): Promise<number> {
    const stack = await currentStack(app);
    findProxyAhead(stack);
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
    console.log(`rollback: traffic ${from} -> ${to} (${to} runs ${imageOf(s, to)})`);
    // A canary ends with the rollback: every client goes to `to`.
    const changes = { liveColor: to, ...(s.canaryPercent > 0 ? { canaryPercent: "0" } : {}) };
    if (now === undefined) {
        // No proxy answers: only the update can bring it back.
        await mustAnswer(stack, "rollback", to);
        return up(stack, changes);
    }
    return trafficFirst(stack, "rollback", to, changes);
}
