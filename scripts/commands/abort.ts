// `npm run abort`: the canary ends, every client back on the live colour; config otherwise as it is.
import { imageOf } from "../../components/core/appSettings";
import { currentStack, serving, up } from "./stack";

export async function abort(app?: string): Promise<number> {
    const stack = await currentStack(app);
    const live = (await serving(stack))?.color ?? stack.settings.liveColor;
    console.log(`abort: every client to ${live} (${imageOf(stack.settings, live)}); the canary's colour keeps running`);
    return up(stack, { liveColor: live, canaryPercent: "0" });
}
