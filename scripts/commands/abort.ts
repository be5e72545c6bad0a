// `npm run abort`: the canary ends, every client back on the live colour at once (./trafficFirst.ts),
// then the update records it; config otherwise as it is.
import { imageOf } from "../../components/core/appSettings";
import { currentStack, serving, up } from "./stack";
import { trafficFirst, findProxyAhead } from "./trafficFirst";

export async function abort(app?: string): Promise<number> {
    const stack = await currentStack(app);
    findProxyAhead(stack);
    const now = await serving(stack);
    const live = now?.color ?? stack.settings.liveColor;
    console.log(`abort: every client to ${live} (${imageOf(stack.settings, live)}); the canary's colour keeps running`);
    const changes = { liveColor: live, canaryPercent: "0" };
    return now?.canary === undefined ? up(stack, changes) : trafficFirst(stack, "abort", live, changes);
}
