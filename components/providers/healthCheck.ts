// Dynamic provider: proves a colour healthy before traffic may reach it.
import * as pulumi from "../sdk";
import { ModuleDynamicResource } from "./dynamicResource";
import { describeProbe, FIRST_ANSWER_RETRY_MS, ProbeResult, sleep } from "../runtime/probe";
import { describeEndpoint, probeEndpoint } from "../runtime/reach";
import type { Vantage } from "../core/site";
import { ReplicaSet, waitReplicasHealthy } from "../runtime/replicaProbe";

export interface HealthGate {
    readonly color: string;
    readonly url: string;
    /** Open `url` from inside this container (a remote engine); absent: from this machine. */
    readonly probeFrom?: Vantage;
    readonly timeoutSeconds: number;
    readonly intervalMs: number;
    readonly threshold: number;
}

export interface HealthReport {
    readonly attempts: number;
    readonly elapsedMs: number;
}

/** The longest one probe may wait for an answer. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * Polls `url` until `threshold` consecutive 2xx answers arrive, `intervalMs` apart, or fails after `timeoutSeconds`
 * with one line naming the colour, the URL, the last answer and the time spent.
 */

export async function waitHealthy(gate: HealthGate): Promise<HealthReport> {
    const started = Date.now();
    const deadline = started + gate.timeoutSeconds * 1000;
    let consecutive = 0;
    let best = 0;
    let attempts = 0;
    let last: ProbeResult | undefined;
    const endpoint = { url: gate.url, from: gate.probeFrom };
    for (;;) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
            break;
        }
        attempts++;
        const budget = Math.max(1, Math.min(PROBE_TIMEOUT_MS, remaining));
        const result = await probeEndpoint(endpoint, "", budget);
        // A probe the deadline cut short says nothing about the colour: the message keeps the
        // answer before it (a refused connection, a 500) when there is one.
        if (!(budget < PROBE_TIMEOUT_MS && result.error === "ECONNABORTED" && last !== undefined)) {
            last = result;
        }
        const ok = result.status !== undefined && result.status >= 200 && result.status < 300;
        consecutive = ok ? consecutive + 1 : 0;
        best = Math.max(best, consecutive);
        if (consecutive >= gate.threshold) {
            return { attempts, elapsedMs: Date.now() - started };
        }
        // Until the first 2xx, retry soon: a container that just started answers within tens of
        // milliseconds of listening, and waiting a full interval there only delays the release.
        // Once it answers, consecutive successes are spaced by the interval, so `threshold`
        // answers cover (threshold - 1) intervals of steady health.
        const pause = consecutive > 0 ? gate.intervalMs : Math.min(gate.intervalMs, FIRST_ANSWER_RETRY_MS);
        await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
    }
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    throw new Error(
        `health check failed: ${gate.color} is not healthy at ${describeEndpoint(endpoint)} after ${elapsed}s ` +
            `(last answer: ${last ? describeProbe(last) : "none"}; needed ${gate.threshold} consecutive 2xx, ` +
            `best run ${best}); traffic was not moved to ${gate.color}`,
    );
}

export interface HealthCheckInputs extends HealthGate {
    /** The container being checked: a new ID (replacement) makes the check run again. */
    readonly containerId: string;
    /** On a swarm: the colour's replicas, each probed from inside the overlay network instead of `url`. */
    readonly replicaSet?: ReplicaSet;
    /** Whether this colour is about to serve: turning true makes the check run again. */
    readonly live: boolean;
}

type State = HealthCheckInputs &
    Partial<HealthReport> & {
        checkedAt?: string;
        /** False when a standby colour failed its check (recorded, not fatal). */
        healthy?: boolean;
        lastError?: string;
    };

function mustProbe(olds: State | undefined, news: HealthCheckInputs): boolean {
    return (
        olds === undefined ||
        olds.containerId !== news.containerId ||
        olds.url !== news.url ||
        JSON.stringify(olds.probeFrom) !== JSON.stringify(news.probeFrom) ||
        JSON.stringify(olds.replicaSet) !== JSON.stringify(news.replicaSet) ||
        (news.live && !olds.live)
    );
}

/**
 * The live colour's check gates the switch: failure fails the update. A standby's check (a staged
 * release, or the colour a failed release left behind) is recorded and printed but never blocks
 * an update: traffic does not depend on it, and it must not block a rollback. Becoming live
 * re-runs the check as a gate.
 */
async function run(olds: State | undefined, news: HealthCheckInputs): Promise<State> {
    if (!mustProbe(olds, news)) {
        return { ...olds, ...news };
    }
    const checkedAt = new Date().toISOString();
    try {
        const report = news.replicaSet ? await waitReplicasHealthy(news, news.replicaSet) : await waitHealthy(news);
        return { ...news, ...report, checkedAt, healthy: true, lastError: "" };
    } catch (err) {
        if (news.live) {
            throw err;
        }
        const message = `standby ${(err as Error).message}`;
        console.error(`warning: ${message}`);
        return { ...news, checkedAt, healthy: false, lastError: message };
    }
}

const INPUT_KEYS: (keyof HealthCheckInputs)[] = [
    "color",
    "url",
    "probeFrom",
    "timeoutSeconds",
    "intervalMs",
    "threshold",
    "containerId",
    "live",
    "replicaSet",
];

export const healthCheckProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: State, news: HealthCheckInputs) {
        const changed = INPUT_KEYS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: HealthCheckInputs) {
        const outs = await run(undefined, inputs);
        return { id: `${inputs.color}-health`, outs };
    },
    async update(_id: string, olds: State, news: HealthCheckInputs) {
        return { outs: await run(olds, news) };
    },
};

export type HealthCheckArgs = { readonly [K in keyof HealthCheckInputs]: pulumi.Input<HealthCheckInputs[K]> };

/** Blocks dependents until the colour answers healthy; runs again when its container changes. */
export class HealthCheck extends ModuleDynamicResource {
    public readonly checkedAt!: pulumi.Output<string>;
    public readonly attempts!: pulumi.Output<number>;
    public readonly healthy!: pulumi.Output<boolean>;
    public readonly lastError!: pulumi.Output<string>;

    constructor(name: string, args: HealthCheckArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            { module: __filename, exportName: "healthCheckProvider" },
            name,
            { ...args, checkedAt: undefined, attempts: undefined, healthy: undefined, lastError: undefined },
            opts,
        );
    }
}
