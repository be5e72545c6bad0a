// The health gate's rule for a colour with several replicas (a Swarm service). Pure: the provider
// (runtime/replicaProbe.ts) feeds it one round of observations at a time.

/** One replica (Swarm task) as one round saw it. */
export interface ReplicaProbe {
    readonly task: string;
    /** For people: `<service>.<slot>`. */
    readonly name: string;
    /** Host name of the node it runs on ("" before it is placed). */
    readonly node: string;
    /** Swarm task state: running, starting, rejected, failed, ... */
    readonly state: string;
    /** Swarm's error for the task, e.g. "No such image: app:2". */
    readonly error: string;
    /** Its address on the stack's overlay network, once it has one. */
    readonly address?: string;
    /** HTTP status of the health probe this round; undefined when it did not answer. */
    readonly status?: number;
    /** What the probe got, for people: "HTTP 503", "no answer". */
    readonly answer: string;
}

export function isHealthy(probe: ReplicaProbe): boolean {
    return probe.state === "running" && probe.status !== undefined && probe.status >= 200 && probe.status < 300;
}

/**
 * Every replica must answer 2xx `threshold` times in a row, and `replicas` of them must do so in
 * the same round. A replica missing from a round (rescheduled, gone) starts over.
 */
export class ReplicaGate {
    private streaks = new Map<string, number>();
    private lastRound: ReplicaProbe[] = [];

    constructor(
        readonly replicas: number,
        readonly threshold: number,
    ) {}

    observe(round: readonly ReplicaProbe[]): void {
        const next = new Map<string, number>();
        for (const probe of round) {
            next.set(probe.task, isHealthy(probe) ? (this.streaks.get(probe.task) ?? 0) + 1 : 0);
        }
        this.streaks = next;
        this.lastRound = [...round];
    }

    streak(task: string): number {
        return this.streaks.get(task) ?? 0;
    }

    healthy(): ReplicaProbe[] {
        return this.lastRound.filter((p) => this.streak(p.task) >= this.threshold);
    }

    /** Whether the colour may take traffic. */
    passed(): boolean {
        return this.healthy().length >= this.replicas;
    }

    /** Whether any replica answered 2xx this round (the gate then spaces rounds by the interval). */
    anyAnswering(): boolean {
        return this.lastRound.some(isHealthy);
    }

    /** A replica Swarm could not start where it placed it (e.g. the image is missing on that node). */
    rejected(): ReplicaProbe | undefined {
        return this.lastRound.find((p) => p.state === "rejected");
    }

    /** One line: how many are healthy, and each one that is not, with its node and last answer. */
    describe(): string {
        const healthy = this.healthy().length;
        const others = this.lastRound
            .filter((p) => this.streak(p.task) < this.threshold)
            .map((p) => `${p.name} on ${p.node || "no node"}: ${describeReplica(p)}`);
        const missing = Math.max(0, this.replicas - this.lastRound.length);
        const parts = [...others, ...(missing > 0 ? [`${missing} not scheduled`] : [])];
        const preparing = this.lastRound.some((p) => p.state === "preparing") ? `; ${PREPARING_HINT}` : "";
        return (
            `${healthy} of ${this.replicas} replicas healthy${parts.length > 0 ? ` (${parts.join("; ")})` : ""}` +
            preparing
        );
    }
}

/**
 * What `preparing` means when a gate ends on it: the node is still getting the image. Offline, a
 * node that has the image only by `docker load` tries the registry first and can outlast any
 * timeout; DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 in that dockerd's environment uses its copy.
 */
export const PREPARING_HINT =
    "preparing: the node is still pulling the image; a node without registry access that has it by docker load " +
    "needs DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 in its dockerd's environment";

export function describeReplica(probe: ReplicaProbe): string {
    if (probe.state !== "running") {
        return `${probe.state}${probe.error ? ` (${probe.error})` : ""}`;
    }
    return probe.answer;
}
