// Dynamic provider: refuses, at preview, a change that would replace the container serving traffic.
import * as pulumi from "../sdk";
import { ModuleDynamicResource } from "./dynamicResource";
import { classifyTransition, ReleaseState } from "../core/release";
import { servingColor } from "../runtime/reach";
import type { Vantage } from "../core/site";
import type { VolumeMountSetting } from "../core/validate";

export interface ReleaseGuardInputs extends ReleaseState {
    /** Named volumes both colours mount (only when set): fixed once the app exists. */
    readonly volumes?: VolumeMountSetting[];
    /** The public URL, to ask nginx which colour really serves (config may say otherwise after a failed release). */
    readonly publicUrl: string;
    /** On a remote engine: `publicUrl` is opened from inside this container. */
    readonly probeFrom?: Vantage;
    /** On a proxy shared by apps claiming host names: the Host header that reaches this app. */
    readonly hostHeader?: string;
}

/** The last deployed state, with the live colour corrected to what really serves traffic. */
export async function deployedState(olds: Partial<ReleaseGuardInputs>): Promise<ReleaseState | undefined> {
    if (olds.liveColor === undefined || olds.blueImage === undefined || olds.greenImage === undefined) {
        return undefined;
    }
    const serving = await servingColor({
        url: olds.publicUrl ?? "",
        from: olds.probeFrom,
        hostHeader: olds.hostHeader,
    });
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
    "hostHeader",
    "volumes",
];

/** Mounts are both colours' at once: changing them would replace the serving container too. */
function volumesRefusal(olds: Partial<ReleaseGuardInputs>, news: ReleaseGuardInputs): string | undefined {
    const before = JSON.stringify(olds.volumes ?? []);
    const after = JSON.stringify(news.volumes ?? []);
    if (olds.liveColor === undefined || before === after) {
        return undefined;
    }
    return (
        `refused: volumes changed (${before} -> ${after}), which would replace both colours' containers at once ` +
        `and drop traffic. An app's volumes are fixed once it exists: put them back, or deploy a new App with ` +
        `the new volumes and move traffic to it`
    );
}

export const releaseGuardProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Partial<ReleaseGuardInputs>, news: ReleaseGuardInputs) {
        const volumes = volumesRefusal(olds, news);
        if (volumes !== undefined) {
            return { inputs: news, failures: [{ property: "volumes", reason: volumes }] };
        }
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
