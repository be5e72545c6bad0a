// The health gate over every replica of a Swarm service, probed from inside the stack's overlay
// network (from the proxy's task, which sits on it): what nginx will reach is what gets checked.
import { describeReplica, ReplicaGate, ReplicaProbe } from "../core/replicaGate";
import { docker, dockerOk } from "./docker";
import { FIRST_ANSWER_RETRY_MS, sleep } from "./probe";
import { serviceContainers } from "./docker";
import type { HealthGate, HealthReport } from "../providers/healthCheck";

/** A colour's replicas and how to reach them. */
export interface ReplicaSet {
    /** The colour's Swarm service. */
    readonly service: string;
    /** The overlay network the replicas and the proxy share. */
    readonly network: string;
    /** The proxy's service: its task on the manager runs the probes. */
    readonly probeFrom: string;
    readonly port: number;
    readonly path: string;
    readonly replicas: number;
}

// Runs inside the proxy's container (bash): one HTTP/1.0 GET per address, side by side, each bounded.
// Arguments only, never spliced into the text: port, path, then the addresses.
const PROBE_SCRIPT = `port=$1 path=$2; shift 2
for ip in "$@"; do
  ( line=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "GET %s HTTP/1.0\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n" "$2" "$0" >&3 && head -n 1 <&3' "$ip" "$port" "$path" 2>/dev/null | tr -d '\\r')
    echo "$ip \${line:-none}" ) &
done
wait
`;

interface TaskJson {
    ID: string;
    Slot?: number;
    NodeID?: string;
    DesiredState?: string;
    Status?: { State?: string; Err?: string };
    NetworksAttachments?: { Network?: { Spec?: { Name?: string } }; Addresses?: string[] }[];
}

/** The running container of a service's task on this node (the proxy is pinned to the manager). */
export async function taskContainer(service: string): Promise<string | undefined> {
    return (await serviceContainers(service, "running"))?.[0];
}

async function nodeNames(): Promise<Map<string, string>> {
    const out = await dockerOk(["node", "ls", "--format", "{{.ID}} {{.Hostname}}"]);
    return new Map(out.split("\n").map((line) => line.split(" ", 2) as [string, string]));
}

/** The service's tasks that Swarm wants running, with their state and overlay address. */
async function listTasks(set: ReplicaSet, nodes: Map<string, string>): Promise<ReplicaProbe[]> {
    const ids = (await dockerOk(["service", "ps", "--quiet", "--no-trunc", set.service])).split("\n").filter(Boolean);
    if (ids.length === 0) {
        return [];
    }
    const out = await dockerOk(["inspect", "--type", "task", "--format", "{{json .}}", ...ids]);
    return out
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as TaskJson)
        .filter((t) => t.DesiredState === "running" || t.Status?.State === "rejected")
        .map((t) => {
            const attachment = t.NetworksAttachments?.find((a) => a.Network?.Spec?.Name === set.network);
            const address = attachment?.Addresses?.[0]?.split("/")[0];
            return {
                task: t.ID,
                name: `${set.service}.${t.Slot ?? "?"}`,
                node: nodes.get(t.NodeID ?? "") ?? t.NodeID ?? "",
                state: t.Status?.State ?? "unknown",
                error: t.Status?.Err ?? "",
                address: address !== undefined && /^[0-9.]+$/.test(address) ? address : undefined,
                answer: "not probed",
            };
        });
}

/** Probes every running task with an address, in one `docker exec` into the proxy's task. */
async function probeTasks(set: ReplicaSet, tasks: ReplicaProbe[]): Promise<ReplicaProbe[]> {
    const targets = tasks.filter((t) => t.state === "running" && t.address !== undefined);
    if (targets.length === 0) {
        return tasks;
    }
    const container = await taskContainer(set.probeFrom);
    if (container === undefined) {
        return tasks.map((t) => ({ ...t, answer: `not probed: no running ${set.probeFrom} task on this node` }));
    }
    const result = await docker(
        ["exec", "-i", container, "bash", "-s", "--", String(set.port), set.path, ...targets.map((t) => t.address!)],
        { input: PROBE_SCRIPT, timeoutMs: 10000 },
    );
    const answers = new Map<string, string>();
    for (const line of result.stdout.split("\n")) {
        const [ip, ...rest] = line.split(" ");
        if (ip) {
            answers.set(ip, rest.join(" "));
        }
    }
    return tasks.map((t) => {
        const line = t.address !== undefined ? answers.get(t.address) : undefined;
        const status = /^HTTP\/1\.[01] ([0-9]{3})/.exec(line ?? "")?.[1];
        return status !== undefined
            ? { ...t, status: Number(status), answer: `HTTP ${status}` }
            : { ...t, answer: line === undefined || line === "none" ? "no answer" : `bad answer ${line.slice(0, 40)}` };
    });
}

/**
 * Waits until every replica passes the gate (see ReplicaGate), or fails with one line: which
 * replicas, on which nodes, their last answer. A replica Swarm rejects (its image is missing on its
 * node, say) fails the gate at once: waiting cannot fix it.
 */
export async function waitReplicasHealthy(gate: HealthGate, set: ReplicaSet): Promise<HealthReport> {
    const started = Date.now();
    const deadline = started + gate.timeoutSeconds * 1000;
    const replicas = new ReplicaGate(set.replicas, gate.threshold);
    const nodes = await nodeNames();
    let attempts = 0;
    while (Date.now() < deadline) {
        attempts++;
        replicas.observe(await probeTasks(set, await listTasks(set, nodes)));
        if (replicas.passed()) {
            return { attempts, elapsedMs: Date.now() - started };
        }
        const rejected = replicas.rejected();
        if (rejected !== undefined) {
            throw new Error(
                `health check failed: ${gate.color} replica ${rejected.name} on ${rejected.node || "no node"} ` +
                    `cannot start: ${describeReplica(rejected)}; traffic was not moved to ${gate.color}`,
            );
        }
        const pause = replicas.anyAnswering() ? gate.intervalMs : Math.min(gate.intervalMs, FIRST_ANSWER_RETRY_MS);
        await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
    }
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    throw new Error(
        `health check failed: ${gate.color} has ${replicas.describe()} after ${elapsed}s ` +
            `(needed ${gate.threshold} consecutive 2xx from each of ${set.replicas}); traffic was not moved to ${gate.color}`,
    );
}
