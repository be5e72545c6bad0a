// Dynamic provider: refuses, at preview, a change that would replace the container serving traffic.
import * as pulumi from "../sdk";
import { ModuleDynamicResource } from "./dynamicResource";
import { classifyTransition, ReleaseState } from "../release";
import { servingColor } from "./reach";
import type { Vantage } from "../site";

export interface ReleaseGuardInputs extends ReleaseState {
    /** The public URL, to ask nginx which colour really serves (config may say otherwise after a failed release). */
    readonly publicUrl: string;
    /** On a remote engine: `publicUrl` is opened from inside this container. */
    readonly probeFrom?: Vantage;
}

/** The last deployed state, with the live colour corrected to what really serves traffic. */
export async function deployedState(olds: Partial<ReleaseGuardInputs>): Promise<ReleaseState | undefined> {
    if (olds.liveColor === undefined || olds.blueImage === undefined || olds.greenImage === undefined) {
        return undefined;
    }
    const serving = await servingColor({ url: olds.publicUrl ?? "", from: olds.probeFrom });
    return {
        liveColor: serving ?? olds.liveColor,
        blueImage: olds.blueImage,
        greenImage: olds.greenImage,
        ...(olds.canaryPercent ? { canaryPercent: olds.canaryPercent } : {}),
    };
}

const KEYS: (keyof ReleaseGuardInputs)[] = [
    "liveColor",
    "blueImage",
    "greenImage",
    "canaryPercent",
    "publicUrl",
    "probeFrom",
];

export const releaseGuardProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Partial<ReleaseGuardInputs>, news: ReleaseGuardInputs) {
        const transition = classifyTransition(await deployedState(olds), news);
        if (transition.kind === "refused") {
            const live = (await deployedState(olds))?.liveColor ?? news.liveColor;
            return { inputs: news, failures: [{ property: `${live}Image`, reason: transition.reason }] };
        }
        return { inputs: news };
    },
    async diff(_id: string, olds: ReleaseGuardInputs, news: ReleaseGuardInputs) {
        const changed = KEYS.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes: changed, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: ReleaseGuardInputs) {
        return { id: "release-guard", outs: inputs };
    },
    async update(_id: string, _olds: ReleaseGuardInputs, news: ReleaseGuardInputs) {
        return { outs: news };
    },
};

/** Records the released state; its check refuses in-place changes of the serving colour. */
export class ReleaseGuard extends ModuleDynamicResource {
    constructor(
        name: string,
        args: { readonly [K in keyof ReleaseGuardInputs]: pulumi.Input<ReleaseGuardInputs[K]> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super({ module: __filename, exportName: "releaseGuardProvider" }, name, args, opts);
    }
}
