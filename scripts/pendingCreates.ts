// What `npm run recover` removes before it clears an interrupted update's pending operations: a
// container (or swarm service) the killed update had created but not yet recorded. Pulumi forgets
// such an object with the pending operation, and the next `pulumi up` would then fail on its fixed
// name. Only the docker-provider engine needs this: docker-cli's container provider adopts a
// container of its own stack by name.

/** The resource types whose objects have fixed names on the engine. */
const NAMED_TYPES: Record<string, "container" | "service"> = {
    "docker:index/container:Container": "container",
    "docker:index/service:Service": "service",
};

export interface PendingOperation {
    readonly type?: string;
    readonly resource?: { readonly type?: string; readonly inputs?: Record<string, unknown> };
}

export interface NamedObject {
    readonly kind: "container" | "service";
    readonly name: string;
}

/** Objects that pending `creating` operations may have left on the engine, by kind and name. */
export function pendingCreates(pending: readonly PendingOperation[]): NamedObject[] {
    return pending.flatMap((op) => {
        const kind = NAMED_TYPES[op.resource?.type ?? ""];
        const name = op.resource?.inputs?.name;
        return op.type === "creating" && kind !== undefined && typeof name === "string" ? [{ kind, name }] : [];
    });
}

/**
 * Whether the object found on the engine is the interrupted create's: it belongs to this stack
 * (its managed label) and no resource in the state has its ID.
 */
export function isOrphan(
    found: { id: string; stack: string },
    stack: string,
    recordedIds: ReadonlySet<string>,
): boolean {
    return found.stack === stack && found.id !== "" && !recordedIds.has(found.id);
}
