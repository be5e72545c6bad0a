// What the swarm suite and the swarm bench both ask of a swarm (through DOCKER_HOST, a manager).
import { dockerOk } from "../../components/runtime/docker";

/** Nodes of the running tasks of `service`, sorted. */
export async function nodesOf(service: string): Promise<string[]> {
    const out = await dockerOk([
        "service",
        "ps",
        "--filter",
        "desired-state=running",
        "--format",
        "{{.Node}} {{.CurrentState}}",
        service,
    ]);
    return out
        .split("\n")
        .filter((line) => / Running /.test(line))
        .map((line) => line.split(" ")[0])
        .sort();
}
