// Docker object names and labels derived from the stack name: the interface other tools rely on.
import { Color } from "./color";

/** Label on every container and network this stack owns; its value is the stack name. */
export const MANAGED_LABEL = "io.bluegreen.managed";

export function containerName(stack: string, role: Color | "proxy" | "acme"): string {
    return `${stack}-${role}`;
}

export function networkName(stack: string): string {
    return `${stack}-net`;
}

export function loopbackUrl(port: number): string {
    return `http://127.0.0.1:${port}`;
}

/** A swarm colour's replicas by DNS on the overlay network (every task's address). */
export function tasksHost(stack: string, color: Color): string {
    return `tasks.${containerName(stack, color)}`;
}

/** The volume on the manager where a swarm service keeps its seed files (the proxy's config). */
export function filesVolume(service: string): string {
    return `${service}-files`;
}
