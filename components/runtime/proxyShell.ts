// Commands in the proxy's container, by the cheapest way that reaches it: entering a local nginx
// master's namespaces (nsenter, tens of ms), its probe agent on a remote engine (the long-lived
// `docker exec` the probes use anyway), or a plain `docker exec` (about 80 ms, 0.45 s over SSH).
// Same shell, same files, same exit codes. Also the reload signal, straight to a local master.
import * as fs from "fs";
import { docker } from "./docker";
import { agentRun } from "./probeAgent";
import { run, RunResult } from "./process";
import { sleep } from "./probe";
import { taskContainer } from "./replicaProbe";

/** How long a new proxy task may take to start before a switch gives up on it. */
const PROXY_TASK_TIMEOUT_MS = 60000;

/** The container that runs the proxy: itself, or on a swarm its service's running task on this node. */
export async function proxyContainerOf(inputs: { readonly proxyContainer: string; readonly proxyIsService?: boolean }) {
    if (!inputs.proxyIsService) {
        return inputs.proxyContainer;
    }
    const deadline = Date.now() + PROXY_TASK_TIMEOUT_MS;
    for (;;) {
        const container = await taskContainer(inputs.proxyContainer);
        if (container !== undefined) {
            return container;
        }
        if (Date.now() > deadline) {
            throw new Error(
                `no running task of the proxy service ${inputs.proxyContainer} on this node after ` +
                    `${PROXY_TASK_TIMEOUT_MS / 1000}s (docker service ps ${inputs.proxyContainer})`,
            );
        }
        await sleep(250);
    }
}

/** Set to 1 to always reload through `docker exec`, as with a remote engine. */
export const RELOAD_VIA_EXEC_ENV = "BLUEGREEN_RELOAD_VIA_EXEC";
export function exec(container: string, command: string, input?: string) {
    return docker(["exec", ...(input === undefined ? [] : ["-i"]), container, "sh", "-c", command], { input });
}

/** How commands reach the proxy's container: nsenter with a local master's PID, its probe agent on a remote engine. */
export interface ProxyRoute {
    readonly masterPid?: number;
    readonly agent: boolean;
}

/**
 * The route to the proxy's container. `remote` is what the program decided from the engine's
 * address (components/core/site.ts: a probe vantage exists only for a remote engine): there PIDs
 * are not this machine's, so commands go through the probe agent.
 */
export async function proxyRoute(proxy: string, remote: boolean): Promise<ProxyRoute> {
    return { masterPid: remote ? undefined : await localNginxMaster(proxy), agent: remote };
}

/**
 * Runs `command` in the proxy's container: with a local nginx master's PID, by entering its
 * namespaces (`nsenter`, tens of ms); on a remote engine through the container's probe agent (the
 * `docker exec` the confirmation's probes use anyway); otherwise, or when that is not permitted
 * here, through `docker exec` (about 80 ms, 0.45 s over SSH). Same shell, same files, same exit codes.
 */
export async function inProxy(
    proxy: string,
    route: ProxyRoute,
    command: string,
    input?: string,
): Promise<RunResult & { via: string }> {
    const masterPid = route.masterPid;
    if (route.agent) {
        try {
            return { ...(await agentRun(proxy, command, input)), via: "agent" };
        } catch (err) {
            return { code: -1, stdout: "", stderr: (err as Error).message, via: "agent" };
        }
    }
    if (masterPid !== undefined) {
        const entered = await run(
            "nsenter",
            ["-t", String(masterPid), "-m", "-u", "-i", "-n", "-p", "-r", "-w", "sh", "-c", command],
            { input, timeoutMs: 60000 },
        );
        // nsenter's own failures (not permitted, not installed) name nsenter: use docker exec then.
        if (!/^nsenter: /m.test(entered.stderr) && entered.code !== 127) {
            return { ...entered, via: "nsenter" };
        }
    }
    return { ...(await exec(proxy, command, input)), via: "exec" };
}

/**
 * The host PID of the proxy's nginx master on this machine's engine, or undefined (another PID
 * namespace, or BLUEGREEN_RELOAD_VIA_EXEC=1): then commands and the reload go through `docker exec`.
 */
async function localNginxMaster(proxy: string): Promise<number | undefined> {
    if (process.env[RELOAD_VIA_EXEC_ENV] === "1") {
        return undefined;
    }
    const result = await docker(["inspect", "--format", "{{.State.Pid}}", proxy]);
    const pid = Number(result.stdout.trim());
    if (result.code !== 0 || !Number.isInteger(pid) || pid <= 0) {
        return undefined;
    }
    try {
        // The PID must be this proxy's nginx master as seen from here, not whatever else has it.
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("nginx: master process") ? pid : undefined;
    } catch {
        return undefined;
    }
}

export function signal(pid: number): boolean {
    try {
        // Still that nginx master (it was looked up while the config was being installed).
        if (!fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("nginx: master process")) {
            return false;
        }
        process.kill(pid, "SIGHUP");
        return true;
    } catch {
        return false; // e.g. not permitted: fall back to docker exec
    }
}
