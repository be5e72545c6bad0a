// `npm run maintenance -- on|off`: nginx answers 503 (or serves again) after one reload; colours untouched.
import { validateSwitch } from "../../components/core/validate";
import { currentStack, up } from "./stack";

export async function maintenance(value: string | undefined, app?: string): Promise<number> {
    if (value !== "on" && value !== "off") {
        throw new Error("usage: npm run maintenance -- [--app NAME] on|off");
    }
    const stack = await currentStack(app);
    validateSwitch("maintenance", value);
    console.log(
        `maintenance ${value}: ${value === "on" ? "nginx will answer 503 with Retry-After" : "nginx serves the live colour again"}`,
    );
    return up(stack, { maintenance: value });
}
