// Which engine runs a stack, for status and preview: what made its containers, or what the first
// `pulumi up` will choose (unknown while the stack's config does not parse).
import type { EngineSetting } from "../../components/core/proxySettings";

export function engineOf(stack: string, setting: EngineSetting | undefined): string {
    // Loaded here: the release and rollback paths never need the engine modules.
    const { chooseEngine } =
        require("../../components/core/engineRules") as typeof import("../../components/core/engineRules");
    const { engineFacts, runningContainers } =
        require("../../components/engines/select") as typeof import("../../components/engines/select");
    const running = runningContainers(stack).engines;
    if (running.length > 0) {
        return running.join(", ");
    }
    if (setting === undefined) {
        return "not known yet (the stack's config does not parse)";
    }
    try {
        return `${chooseEngine(setting, engineFacts(stack))}, chosen at the first pulumi up`;
    } catch (err) {
        return (err as Error).message;
    }
}
