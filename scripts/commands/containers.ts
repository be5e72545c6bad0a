// What runs a stack's colour, as Docker sees it: a container, or on a swarm a service's tasks.
import { Color } from "../../components/core/color";
import { repoDigestOf } from "../../components/core/imageRef";
import { docker } from "../../components/runtime/docker";
import type { Stack } from "./stack";

/** A container's state (`running`, `exited`, ...), or `missing`. */
export async function containerState(name: string): Promise<string> {
    const result = await docker(["inspect", "--format", "{{.State.Status}}", name]);
    return result.code === 0 ? result.stdout.trim() : "missing";
}

/** A swarm colour's tasks: how many run of how many Swarm wants, and on which nodes. */
export async function serviceState(
    name: string,
): Promise<{ running: number; wanted: number; nodes: string[] } | undefined> {
    const result = await docker([
        "service",
        "ps",
        "--filter",
        "desired-state=running",
        "--format",
        "{{.CurrentState}}|{{.Node}}",
        name,
    ]);
    if (result.code !== 0) {
        return undefined;
    }
    const tasks = result.stdout.split("\n").filter(Boolean);
    const running = tasks.filter((t) => t.startsWith("Running"));
    const nodes = [...new Set(running.map((t) => t.split("|")[1]))].sort();
    return { running: running.length, wanted: tasks.length, nodes };
}

/** Whether a colour runs (its container, or at least one of its tasks), in words for messages. */
export async function colourRuns(stack: Stack, color: Color): Promise<{ running: boolean; text: string }> {
    const name = stack.containerName(color);
    if (stack.swarm) {
        const state = await serviceState(name);
        const text = state ? `${state.running} of ${state.wanted} tasks running` : "missing";
        return { running: (state?.running ?? 0) > 0, text: `service ${name} has ${text}` };
    }
    const state = await containerState(name);
    return { running: state === "running", text: `container ${name} is ${state}` };
}

/**
 * What a colour's container really runs: the registry digest of its image (for the configured
 * repository when there are several), or the image ID of an image built locally.
 */
export async function runningDigest(container: string, ref: string): Promise<string> {
    const image = await docker(["inspect", "--format", "{{.Image}}", container]);
    if (image.code !== 0) {
        return "none";
    }
    const id = image.stdout.trim();
    const digests = await docker(["image", "inspect", "--format", "{{json .RepoDigests}}", id]);
    return (digests.code === 0 && repoDigestOf(ref, JSON.parse(digests.stdout))) || id;
}
