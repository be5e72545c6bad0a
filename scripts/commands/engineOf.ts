// Which engine runs a stack, for status and preview: what made its containers, or what the first
// `pulumi up` will choose.
import type { Stack } from "./stack";

export function engineOf(stack: Stack): string {
    // Loaded here: the release and rollback paths never need the engine modules.
    const { chooseEngine } =
        require("../../components/core/engineRules") as typeof import("../../components/core/engineRules");
    const { engineFacts, runningContainers } =
        require("../../components/engines/select") as typeof import("../../components/engines/select");
    const running = runningContainers(stack.name).engines;
    if (running.length > 0) {
        return running.join(", ");
    }
    try {
        return `${chooseEngine(stack.settings.engine, engineFacts(stack.name))}, chosen at the first pulumi up`;
    } catch (err) {
        return (err as Error).message;
    }
}
