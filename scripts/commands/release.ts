// `npm run release -- <image> [--canary N]`: the idle colour gets the image, then (after its gates)
// all traffic, or with --canary a sticky share of clients. One `pulumi up`.
import { otherColor } from "../../components/core/color";
import { imageOf } from "../../components/core/appSettings";
import { validateImage, validateInteger } from "../../components/core/validate";
import { describeEndpoint } from "../../components/runtime/reach";
import { currentStack, serving, up } from "./stack";

const USAGE =
    "usage: npm run release -- [--app NAME] <image> [--canary N]   (e.g. npm run release -- bluegreen-sample:2 --canary 10)";

export async function release(args: string[], app?: string): Promise<number> {
    const image = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--canary");
    if (image === undefined) {
        throw new Error(USAGE);
    }
    validateImage("image", image);
    const canary = canaryArg(args);
    const stack = await currentStack(app);
    const s = stack.settings;
    const live = (await serving(stack))?.color ?? s.liveColor;
    const idle = otherColor(live);
    if (s.liveColor !== live) {
        console.log(`note: config says liveColor=${s.liveColor} but nginx serves ${live}; releasing onto ${idle}`);
        console.log(`note: ${live}Image stays ${imageOf(s, live)}`);
    }
    if (canary !== undefined) {
        console.log(`canary: ${idle} ${imageOf(s, idle)} -> ${image}, then ${canary}% of clients to ${idle}`);
        const code = await up(stack, { [`${idle}Image`]: image, liveColor: live, canaryPercent: String(canary) });
        console.log(
            code === 0
                ? `\ncanary: ${canary}% of clients on ${idle} (${image}); npm run promote moves all, npm run abort none`
                : `\ncanary failed: every client stays on ${live} if the proxy switch did not run or its verification ` +
                      `undid it (npm run status shows what serves); npm run abort puts config back in line`,
        );
        return code;
    }
    console.log(`release: ${idle} ${imageOf(s, idle)} -> ${image}, then traffic ${live} -> ${idle}`);
    const code = await up(stack, {
        [`${idle}Image`]: image,
        liveColor: idle,
        ...(stack.configured.canaryPercent !== undefined ? { canaryPercent: "0" } : {}),
    });
    if (code !== 0) {
        console.error(
            `\nrelease failed: traffic stays on ${live} if the proxy switch did not run (npm run status shows it). ` +
                `To put config back in line with traffic: npm run rollback`,
        );
    } else {
        console.log(
            `\nreleased ${image}: ${idle} serves ${describeEndpoint(stack.nginx)}; ${live} stays up as standby`,
        );
    }
    return code;
}

/** `--canary N` in a release's arguments: the share (1-100), or undefined for a plain release. */
function canaryArg(args: string[]): number | undefined {
    const at = args.indexOf("--canary");
    return at < 0 ? undefined : validateInteger("--canary", args[at + 1] ?? "", 1, 100);
}
