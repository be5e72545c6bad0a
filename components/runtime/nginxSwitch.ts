// One switch of nginx's config, whoever asks for it (the proxy switch's provider, or a rollback's
// traffic-first flip): validate and install the rendered config, reload, prove nginx serves it on
// fresh connections; on any failure the previous config keeps (or goes back to) serving.
import type { Endpoint } from "../core/site";
import { confFiles, nginxComplaint, RELOAD_FAILED, REJECTED } from "../core/nginx/install";
import { lastLine } from "../core/text";
import { confirmVersion, RETIRED_SETTLE_MS, SETTLE_MS } from "./confirm";
import { sleep } from "./probe";
import { exec, inProxy, type ProxyRoute, signal } from "./proxyShell";
import { retireOldWorkers, workersOf } from "./retireWorkers";

/** The proxy a switch acts on and where its answers are confirmed. */
export interface NginxAt {
    /** The container running nginx (on a swarm: the proxy service's task on this node). */
    readonly proxy: string;
    readonly route: ProxyRoute;
    readonly files: ReturnType<typeof confFiles>;
    /** Where the version endpoint answers the app's requests (its Host header on a shared proxy). */
    readonly at: Endpoint;
    readonly confirmTimeoutMs: number;
}

/** What a switch took, for the state and the benches. */
export interface Switched {
    /** Validating and installing the config file, before anything moves. */
    readonly prepareMs: number;
    /** How the config was validated and installed: `nsenter` on a local engine, or `docker exec`. */
    readonly prepareVia: string;
    /** How the reload was triggered: a signal to the local nginx master, or `docker exec`. */
    readonly reloadVia: string;
    /** From the reload signal to the first answer of the new config on a fresh connection. */
    readonly switchMs: number;
    /** Whether nginx's old workers were told to stop as soon as new ones ran (runtime/retireWorkers.ts). */
    readonly oldWorkersRetired: boolean;
}

/** The config nginx runs now, as its file says. */
export async function currentConfig(n: Pick<NginxAt, "proxy" | "route" | "files">): Promise<string> {
    const current = await inProxy(n.proxy, n.route, `cat ${n.files.conf}`);
    if (current.code !== 0) {
        throw new Error(`could not read nginx's config ${n.files.conf}: ${lastLine(current.stderr || current.stdout)}`);
    }
    return current.stdout;
}

/**
 * Installs `bundleText` (the config and its files, see core/nginx/install.ts), reloads nginx and
 * waits until every fresh connection answers `version` for the settle window. `target` names the
 * switch in errors ("proxy switch to green").
 */
export async function installAndConfirm(
    n: NginxAt,
    target: string,
    bundleText: string,
    version: string,
): Promise<Switched> {
    const started = Date.now();
    const remote = n.route.agent;
    // 1. Prepare, in one command in the proxy's container: validate a candidate file and, only if
    //    nginx accepts it, install it, keeping the previous one. nginx still runs the old config:
    //    nothing has moved yet (on a remote engine the reload rides along, saving a round trip).
    const prepared = await inProxy(n.proxy, n.route, remote ? n.files.installAndReload : n.files.install, bundleText);
    if (prepared.code === REJECTED) {
        throw new Error(
            `${target} failed: nginx rejected the config: ${nginxComplaint(prepared.stderr)}; previous config still serving`,
        );
    }
    if (prepared.code === RELOAD_FAILED) {
        throw new Error(
            `${target} failed: nginx -s reload failed: ${nginxComplaint(prepared.stderr || prepared.stdout)}; ` +
                `previous config file restored`,
        );
    }
    if (prepared.code !== 0) {
        throw new Error(
            `${target} failed: could not install the config: ${lastLine(prepared.stderr || prepared.stdout)}`,
        );
    }
    // 2. Switch: reload. On a local engine, SIGHUP straight to nginx's master (microseconds); on a
    //    remote one, `nginx -s reload` in the same `docker exec` as the install. Never `docker kill
    //    --signal HUP`: Docker 20.10 then treats the container as manually stopped and drops its
    //    restart policy, so a later crash would leave the proxy down.
    const masterPid = n.route.masterPid;
    const oldWorkers = masterPid !== undefined ? workersOf(masterPid) : [];
    const signalled = Date.now();
    const reloadVia = remote
        ? "agent, with the install"
        : masterPid !== undefined && signal(masterPid)
          ? "signal"
          : "exec";
    // Old workers told to stop as soon as new ones run: no fresh connection reaches the old config after.
    const retired = reloadVia === "signal" && (await retireOldWorkers(masterPid!, oldWorkers));
    const reload =
        remote || reloadVia === "signal" ? { code: 0, stderr: "", stdout: "" } : await exec(n.proxy, n.files.reload);
    if (reload.code !== 0) {
        await inProxy(n.proxy, n.route, n.files.restore);
        throw new Error(
            `${target} failed: nginx -s reload failed: ${nginxComplaint(reload.stderr || reload.stdout)}; ` +
                `previous config file restored`,
        );
    }
    try {
        // 3. Confirm on fresh connections; the time to the first answer is the switch latency.
        const confirmStarted = Date.now();
        const firstSeen = await confirmVersion(
            n.at,
            version,
            n.confirmTimeoutMs,
            retired ? RETIRED_SETTLE_MS : SETTLE_MS,
        );
        return {
            prepareMs: signalled - started,
            prepareVia: prepared.via,
            reloadVia,
            switchMs: confirmStarted - signalled + firstSeen,
            oldWorkersRetired: retired,
        };
    } catch (err) {
        const restore = await inProxy(n.proxy, n.route, n.files.restoreAndReload);
        await sleep(SETTLE_MS); // let the workers of the failed config stop accepting
        const restored =
            restore.code === 0 ? "previous config restored" : `restore failed too: ${lastLine(restore.stderr)}`;
        throw new Error(`${target} failed: ${(err as Error).message}; ${restored}`);
    }
}
