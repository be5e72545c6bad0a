// `npm run recover`: after a `pulumi up` (or a rollback) was killed, drop its stale lock (and claim), clear the operations it
// left pending (removing what it created but did not record), stop an interrupted verification's
// log, then run `pulumi up` so state, containers and nginx agree again.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MANAGED_LABEL } from "../../components/core/names";
import { appKey } from "../../components/core/nginx/apps";
import { answersFiles } from "../../components/core/nginx/verify";
import { docker } from "../../components/runtime/docker";
import { run } from "../../components/runtime/process";
import { taskContainer } from "../../components/runtime/replicaProbe";
import { removeBrokenSidecars } from "../backends/fileSidecars";
import { currentLocks, describeLock, isStale, orphanedPlugins } from "../locks";
import { clearStaleClaim } from "../stackClaim";
import { isOrphan, PendingOperation, pendingCreates } from "../pendingCreates";
import { currentStack, pulumiOk, Stack, up } from "./stack";

export async function recover(app?: string): Promise<number> {
    const stack = await currentStack(app, { anyApp: true });
    // A killed CLI leaves its program process behind, spinning on the dead engine connection.
    await run("pkill", ["-KILL", "-f", `@pulumi/pulumi/cmd/run/index.js .* --stack ${stack.name} `]);
    // ... and its dynamic provider processes, in process groups of their own, idle on a dead engine.
    for (const pid of await orphanedPlugins()) {
        console.log(`recover: stopping a plugin process (provider or language host) whose pulumi is gone (pid ${pid})`);
        process.kill(pid, "SIGKILL");
    }
    if (!(await clearStaleLocks(stack.name))) {
        return 2;
    }
    for (const sidecar of removeBrokenSidecars(process.env.PULUMI_BACKEND_URL ?? "")) {
        console.log(`recover: removing a metadata file the killed pulumi left half written (${sidecar})`);
    }
    const claim = clearStaleClaim(process.env.PULUMI_BACKEND_URL ?? "", stack.name);
    if (claim !== undefined) {
        console.log(`recover: removing the claim on the stack of a helper that is gone (${claim})`);
    }
    await clearPending(stack);
    await stopAnswersLog(stack);
    return up(stack, {}, "stack");
}

/**
 * Removes the locks whose process is provably gone (this machine, pid not running); false, having
 * said which command removes it, when a lock's owner may still run (another machine, or alive here).
 */
async function clearStaleLocks(stack: string): Promise<boolean> {
    const locks = await currentLocks(stack);
    for (const lock of locks.filter(isStale)) {
        console.log(
            `recover: removing the lock of a pulumi process that is gone (${describeLock(lock)}; ${lock.where})`,
        );
        await lock.remove();
    }
    const held = locks.find((lock) => !isStale(lock));
    if (held === undefined) {
        return true;
    }
    const here = held.hostname === os.hostname();
    console.error(
        `recover: nothing changed: the stack ${stack} is locked by ${describeLock(held)} (${held.where}), ` +
            (here
                ? "a pulumi process that still runs here: wait for it to end, then npm run recover"
                : `on another machine, so recover cannot tell whether it still runs: if it is gone, ` +
                  `remove the lock with: pulumi cancel --yes --stack ${stack}; then npm run recover`),
    );
    return false;
}

/** Operations the killed update left pending: what it created but did not record goes, then the list. */
async function clearPending(stack: Stack): Promise<void> {
    const exported = JSON.parse(await pulumiOk(["stack", "export"])) as {
        deployment?: { pending_operations?: PendingOperation[]; resources?: { id?: string }[] };
    };
    const pending = exported.deployment?.pending_operations ?? [];
    const recorded = new Set((exported.deployment?.resources ?? []).map((r) => r.id ?? ""));
    for (const { kind, name } of pendingCreates(pending)) {
        const format =
            kind === "service"
                ? `{{.ID}} {{index .Spec.Labels "${MANAGED_LABEL}"}}`
                : `{{.Id}} {{index .Config.Labels "${MANAGED_LABEL}"}}`;
        const found = await docker([kind, "inspect", "--format", format, name]);
        const [id = "", owner = ""] = found.code === 0 ? found.stdout.trim().split(" ") : [];
        if (isOrphan({ id, stack: owner }, stack.name, recorded)) {
            console.log(`recover: removing the ${kind} ${name} the interrupted update created but did not record`);
            await docker(kind === "service" ? ["service", "rm", name] : ["rm", "-f", name]);
        }
    }
    if (pending.length > 0) {
        console.log(`recover: clearing ${pending.length} pending operation(s) of the interrupted update`);
        delete exported.deployment!.pending_operations;
        const file = path.join(os.tmpdir(), `bluegreen-recover-${process.pid}.json`);
        fs.writeFileSync(file, JSON.stringify(exported));
        try {
            await pulumiOk(["stack", "import", "--file", file]);
        } finally {
            fs.rmSync(file, { force: true });
        }
    }
}

/** An update killed while verifying leaves nginx logging answers: stop it and empty the log. */
async function stopAnswersLog(stack: Stack): Promise<void> {
    const name = stack.containerName("proxy");
    // The proxy's container, or on a swarm its service's task on this node.
    const proxy = stack.swarm ? await taskContainer(name).catch(() => undefined) : name;
    // The proxy's own log, and each app's on a shared proxy (keyed by its App's name).
    const apps = [stack.name, ...stack.apps.map((a) => `${stack.name}-${a}`)];
    for (const files of [answersFiles(), ...apps.map((a) => answersFiles(appKey(a)))]) {
        if (proxy !== undefined && (await docker(["exec", proxy, "test", "-e", files.marker])).code === 0) {
            console.log(
                `recover: nginx in ${proxy} was still logging answers for an interrupted verification: stopped`,
            );
            await docker(["exec", proxy, "sh", "-c", files.stop]);
        }
    }
}
