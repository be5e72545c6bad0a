// `npm run promote`: the canary's colour takes every client (liveColor flips, the share back to 0).
import { otherColor } from "../../components/core/color";
import { imageOf } from "../../components/core/appSettings";
import { currentStack, serving, up } from "./stack";

export async function promote(app?: string): Promise<number> {
    const stack = await currentStack(app);
    const s = stack.settings;
    if (!(s.canaryPercent > 0)) {
        throw new Error(
            "promote: no canary is running (canaryPercent is 0); npm run release -- <image> --canary N starts one",
        );
    }
    const live = (await serving(stack))?.color ?? s.liveColor;
    const idle = otherColor(live);
    console.log(`promote: every client to ${idle} (${imageOf(s, idle)}), ${live} stays up as standby`);
    const code = await up(stack, { liveColor: idle, canaryPercent: "0" });
    if (code !== 0) {
        console.error(
            `\npromote failed: the canary stays as it was if the proxy switch did not run or its verification ` +
                `undid it (npm run status shows what serves); npm run rollback puts config back in line`,
        );
    }
    return code;
}
