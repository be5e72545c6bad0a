// Dynamic provider: points the running nginx at one colour without recreating its container.
// write candidate -> nginx -t -> install -> reload -> confirm on a fresh connection; restore on failure.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as pulumi from "../sdk";
import { ModuleDynamicResource } from "./dynamicResource";
import { Color } from "../config";
import {
    Canary,
    filesDirOf,
    Maintenance,
    NGINX_CONF_PATH,
    parseVersionBody,
    renderProxyConfig,
    SwarmRouting,
    Tls,
    VERSION_PATH,
} from "../nginx";
import { taskContainer } from "./replicaProbe";
import { docker, dockerOk, lastLine, RunResult } from "./docker";
import { describeProbe, ProbeResult, sleep } from "./probe";
import { describeEndpoint, probeEndpoint } from "./reach";
import { agentRun } from "./probeAgent";
import type { Endpoint, Vantage } from "../site";
import { colorToVerify, describeServed } from "../verification";
import { MAKE_VERIFY_DIR, START_ANSWERS, STOP_ANSWERS, VerificationInput, watchAnswers } from "./verifyWindow";

export interface ProxySwitchInputs {
    /** Name of the proxy container. */
    readonly proxyContainer: string;
    /** ID of the proxy container: a recreated proxy gets the config applied again. */
    readonly proxyContainerId: string;
    /** The colour that will serve public traffic. */
    readonly color: Color;
    /** Container name of that colour on the stack network. */
    readonly host: string;
    readonly port: number;
    /** Version of the config to apply (a hash of its text), so a preview shows the change. */
    readonly configVersion: string;
    /** Base URL of nginx's public listener, as seen from the deploying machine or from `probeFrom`. */
    readonly publicUrl: string;
    /** On a remote engine: the confirmation opens `publicUrl` from inside this container. */
    readonly probeFrom?: Vantage;
    /** How long to wait for the reloaded nginx to serve the new version (default 10000). */
    readonly confirmTimeoutMs?: number;
    /** On a swarm: `proxyContainer` names the proxy's service, whose task on this node gets the config. */
    readonly proxyIsService?: boolean;
    /** Where nginx reads its config (default NGINX_CONF_PATH). */
    readonly confPath?: string;
    /** On a swarm: the routes to every colour's replicas (see renderProxyConfig). */
    readonly swarm?: SwarmRouting;
    /** HTTPS: how nginx serves it; with a certificate from config, its files are named by its fingerprint. */
    readonly tls?: Tls;
    /** The PEM chain to install at `tls.certificate` (not kept in state: the file name stands for it). */
    readonly tlsCertificate?: string;
    /** The PEM key to install with `tls`: a secret, never returned as an output. */
    readonly tlsKey?: string;
    /** Maintenance mode: nginx answers 503 but for the health and version endpoints. */
    readonly maintenance?: Maintenance;
    /** A sticky share of clients to the idle colour. */
    readonly canary?: Canary;
    /**
     * Watch the colour that takes traffic for `seconds` after the switch and undo the switch when its
     * answers fail the thresholds. Only its presence reaches the config (nginx logs answers).
     */
    readonly verification?: VerificationInput;
}

/** The last verification of what serves now: `passed` or `not judged` (too few answers), with figures. */
export interface VerificationOutcome {
    readonly outcome: "passed" | "not judged";
    readonly summary: string;
    /** When it ended: the program warns of a `not judged` outcome of its own update only. */
    readonly at: string;
}

/** What the switch keeps in its state: its inputs less the certificate and key (their file names stay). */
export type SwitchState = Omit<ProxySwitchInputs, "tlsCertificate" | "tlsKey"> & {
    appliedAt: string;
    /** Validating and installing the config file, before anything moves. */
    prepareMs: number;
    /** Switch latency: from the reload signal to the first answer of the new config on a fresh connection. */
    switchMs: number;
    /** How the reload was triggered: a signal to the local nginx master, or `docker exec`. */
    reloadVia: string;
    /** How the config was validated and installed: `nsenter` on a local engine, or `docker exec`. */
    prepareVia: string;
    /** The whole switch, including the settle window (not the verification). */
    totalMs: number;
    /** The last verification of the colours now serving, if any. */
    verified?: VerificationOutcome;
};

/** Exit code of the install script when `nginx -t` rejects the candidate (nothing was changed). */
const REJECTED = 3;
/** Exit code of install-and-reload when the reload failed (the previous file was put back). */
const RELOAD_FAILED = 4;

/** A file the install writes beside the config: its name in `filesDirOf(conf)` and its content. */
export interface BundleFile {
    readonly name: string;
    readonly content: string;
}

/**
 * What the install reads on stdin: one line per file, `<name> <base64>`, the config first as
 * `conf`. Stdin, not the command line, so a key never shows in a process list.
 */
export function bundle(config: string, files: readonly BundleFile[]): string {
    const line = (name: string, content: string) => `${name} ${Buffer.from(content, "utf8").toString("base64")}\n`;
    for (const file of files) {
        if (!/^[0-9a-f]{16}\.(crt|key)$/.test(file.name)) {
            throw new Error(`proxy files must be named <fingerprint>.crt or .key (got ${JSON.stringify(file.name)})`);
        }
    }
    return line("conf", config) + files.map((f) => line(f.name, f.content)).join("");
}

/** Paths and scripts for a config at `conf` (validated: it is spliced into shell text). */
export function confFiles(conf: string) {
    if (!/^\/[A-Za-z0-9._\/-]+$/.test(conf)) {
        throw new Error(`proxy config path must be absolute and plain (got ${JSON.stringify(conf)})`);
    }
    const candidate = `${conf}.next`;
    const backup = `${conf}.previous`;
    const dir = filesDirOf(conf);
    const install = [
        // A config with verification logs there (nginx -t opens the log).
        MAKE_VERIFY_DIR,
        // Keys are readable by root only (nginx's master reads them; its workers need not).
        "umask 077",
        `mkdir -p ${dir}`,
        "while read -r name data; do",
        `  if [ "$name" = conf ]; then out=${candidate}; else out=${dir}/$name; fi`,
        `  printf '%s' "$data" | base64 -d > "$out.part" && mv "$out.part" "$out" || exit 1`,
        "done",
        `if ! nginx -t -q -c ${candidate}; then rm -f ${candidate}; exit ${REJECTED}; fi`,
        `cp ${conf} ${backup}`,
        `mv ${candidate} ${conf}`,
        // Files neither the new config nor the previous one (kept for a restore) reads are old.
        `for f in ${dir}/*; do [ -e "$f" ] || continue; grep -qsF "\${f##*/}" ${conf} ${backup} || rm -f "$f"; done`,
    ].join("\n");
    const reload = `nginx -c ${conf} -s reload`;
    const restore = `mv ${backup} ${conf}`;
    return {
        conf,
        install,
        reload,
        restore,
        restoreAndReload: `${restore} && ${reload}`,
        // On a remote engine each `docker exec` costs a round trip over SSH: validate, install and
        // reload in one, putting the previous file back if the reload fails.
        installAndReload: `${install}\nif ! ${reload}; then ${restore}; exit ${RELOAD_FAILED}; fi`,
    };
}

/** How long a new proxy task may take to start before a switch gives up on it. */
const PROXY_TASK_TIMEOUT_MS = 60000;

/** The container that runs the proxy: itself, or on a swarm its service's running task on this node. */
async function proxyContainerOf(inputs: Pick<ProxySwitchInputs, "proxyContainer" | "proxyIsService">) {
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
/** Test seam: set to 1 to make the rendered config invalid, to prove the restore path. */
export const BREAK_CONFIG_ENV = "BLUEGREEN_TEST_BREAK_PROXY_CONFIG";

function exec(container: string, command: string, input?: string) {
    return docker(["exec", ...(input === undefined ? [] : ["-i"]), container, "sh", "-c", command], { input });
}

/** How commands reach the proxy's container: nsenter with a local master's PID, its probe agent on a remote engine. */
interface ProxyRoute {
    readonly masterPid?: number;
    readonly agent: boolean;
}

/**
 * Runs `command` in the proxy's container: with a local nginx master's PID, by entering its
 * namespaces (`nsenter`, about 10 ms); on a remote engine through the container's probe agent (the
 * `docker exec` the confirmation's probes use anyway); otherwise, or when that is not permitted
 * here, through `docker exec` (about 80 ms, 0.45 s over SSH). Same shell, same files, same exit codes.
 */
async function inProxy(
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
            input,
        );
        // nsenter's own failures (not permitted, not installed) name nsenter: use docker exec then.
        if (!/^nsenter: /m.test(entered.stderr) && entered.code !== 127) {
            return { ...entered, via: "nsenter" };
        }
    }
    return { ...(await exec(proxy, command, input)), via: "exec" };
}

/** Runs a program; resolves with its exit code and output (127 when it could not be started). */
function run(file: string, args: string[], input?: string): Promise<RunResult> {
    return new Promise((resolve) => {
        const child = childProcess.execFile(file, args, { timeout: 60000, encoding: "utf8" }, (error, stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === "number" ? error.code : 127) : 0, stdout, stderr }),
        );
        // A command that exits without reading its input (tail) closes the pipe: its exit code
        // says what happened, so the write's EPIPE is not an error of its own.
        child.stdin?.on("error", () => undefined);
        child.stdin?.end(input ?? "");
    });
}

/** The line of nginx's output that says what is wrong (its [emerg] line when there is one). */
export function nginxComplaint(output: string): string {
    const emerg = output.split("\n").find((line) => line.includes("[emerg]"));
    // Drop nginx's timestamp and pid#tid prefix: "2026/01/02 03:04:05 [emerg] 7#7: unknown ..."
    return (emerg ?? lastLine(output))
        .trim()
        .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, "")
        .replace(/\] \d+#\d+: /, "] ");
}

/**
 * After a reload, old workers keep accepting new connections for about 100 ms before they are
 * told to stop, so one answer from the new config is not proof yet: every fresh connection must
 * see it for this long.
 */
export const SETTLE_MS = 250;

/**
 * Polls the version endpoint on fresh connections until every answer for SETTLE_MS reports
 * `version`. Returns the milliseconds until the first answer from the new config.
 */
export async function confirmVersion(at: Endpoint, version: string, timeoutMs: number): Promise<number> {
    const started = Date.now();
    let firstSeen: number | undefined;
    let last: ProbeResult | undefined;
    while (Date.now() - started < timeoutMs) {
        last = await probeEndpoint(at, VERSION_PATH, 2000);
        const current = last.status === 200 && parseVersionBody(last.body)?.version === version;
        if (!current) {
            firstSeen = undefined;
        } else if (firstSeen === undefined) {
            firstSeen = Date.now();
        } else if (Date.now() - firstSeen >= SETTLE_MS) {
            return firstSeen - started;
        }
        await sleep(20);
    }
    const seen = last?.status === 200 ? `serving ${last.body.trim()}` : last ? describeProbe(last) : "no answer";
    throw new Error(
        `nginx did not serve config ${version} at ${describeEndpoint(at, VERSION_PATH)} within ${timeoutMs} ms (${seen})`,
    );
}

/**
 * The host PID of the proxy's nginx master when the Docker engine runs on this machine, or
 * undefined (remote engine, other PID namespace): then the reload goes through `docker exec`.
 */
async function localNginxMaster(proxy: string, remote: boolean): Promise<number | undefined> {
    const host = process.env.DOCKER_HOST;
    if (
        remote ||
        process.env[RELOAD_VIA_EXEC_ENV] === "1" ||
        (host !== undefined && host !== "" && !host.startsWith("unix://"))
    ) {
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

function signal(pid: number): boolean {
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

/** The certificate and key files from config that a config with TLS reads (an ACME agent writes its own). */
function tlsBundle(inputs: ProxySwitchInputs, conf: string): BundleFile[] {
    if (inputs.tls === undefined || inputs.tls.acmeChallenge !== undefined) {
        return [];
    }
    if (!inputs.tlsCertificate || !inputs.tlsKey) {
        throw new Error("proxy switch: TLS is on but the certificate or key did not reach the provider");
    }
    const dir = filesDirOf(conf);
    const name = (path: string) => {
        if (!path.startsWith(`${dir}/`)) {
            throw new Error(`proxy switch: TLS files must be in ${dir} (got ${JSON.stringify(path)})`);
        }
        return path.slice(dir.length + 1);
    };
    return [
        { name: name(inputs.tls.certificate), content: inputs.tlsCertificate },
        { name: name(inputs.tls.key), content: inputs.tlsKey },
    ];
}

/** The state kept: everything but the certificate and the key. */
function stateOf(inputs: ProxySwitchInputs): Omit<ProxySwitchInputs, "tlsCertificate" | "tlsKey"> {
    const kept = { ...inputs };
    delete kept.tlsCertificate;
    delete kept.tlsKey;
    return kept;
}

/**
 * Applies the config for `inputs.color`; on any failure the previous config keeps serving. With
 * `verification`, and traffic moving to a colour (see colorToVerify), the switch then watches that
 * colour's answers and restores `previous` when they fail.
 */
export async function applySwitch(inputs: ProxySwitchInputs, previous?: SwitchState): Promise<SwitchState> {
    const started = Date.now();
    const rendered = renderProxyConfig({ color: inputs.color, host: inputs.host, port: inputs.port }, inputs.swarm, {
        tls: inputs.tls,
        maintenance: inputs.maintenance,
        canary: inputs.canary,
        verify: inputs.verification !== undefined,
    });
    if (rendered.version !== inputs.configVersion) {
        throw new Error(
            `proxy config version mismatch: program rendered ${inputs.configVersion}, provider ${rendered.version}`,
        );
    }
    const text = process.env[BREAK_CONFIG_ENV] === "1" ? `${rendered.text}\nthis_is_not_a_directive;\n` : rendered.text;
    const target = `proxy switch to ${inputs.color}`;
    const files = confFiles(inputs.confPath ?? NGINX_CONF_PATH);
    const proxy = await proxyContainerOf(inputs);

    // A probe vantage means a remote engine: its PIDs are not this machine's. On a local engine
    // the nginx master's PID (for the reload) also lets commands run by entering the container's
    // namespaces, not through `docker exec`.
    const remote = inputs.probeFrom !== undefined;
    const masterPid = await localNginxMaster(proxy, remote);
    const route = { masterPid, agent: remote };
    const at = { url: inputs.publicUrl, from: inputs.probeFrom };
    const watched = previous && inputs.verification ? colorToVerify(previous, inputs) : undefined;
    if (watched === undefined) {
        // Traffic goes to no one new: the last verification still describes what serves, if any.
        const same =
            previous?.color === inputs.color && JSON.stringify(previous.canary) === JSON.stringify(inputs.canary);
        const state = await switchAndConfirm();
        if (inputs.verification || previous?.verification) {
            // An update killed mid-window left nginx logging: this switch ends that.
            await inProxy(proxy, route, STOP_ANSWERS);
        }
        return same && inputs.verification && previous?.verified ? { ...state, verified: previous.verified } : state;
    }
    const run = (command: string) => inProxy(proxy, route, command);
    const start = await run(START_ANSWERS);
    if (start.code !== 0) {
        throw new Error(`${target} failed: could not start logging answers: ${lastLine(start.stderr || start.stdout)}`);
    }
    try {
        const state = await switchAndConfirm();
        const verdict = await watchAnswers(run, watched, inputs.verification!).catch((err: Error) => ({
            kind: "fail" as const,
            reason: `${err.message} while watching ${watched}`,
        }));
        if (verdict.kind === "fail") {
            throw new Error(`verification failed: ${verdict.reason}; ${await rollBack(previous!)}`);
        }
        const outcome = verdict.kind === "pass" ? "passed" : "not judged";
        return { ...state, verified: { outcome, summary: verdict.summary, at: new Date().toISOString() } };
    } finally {
        await run(STOP_ANSWERS);
    }

    /** Puts back the config this switch replaced (kept beside it) and proves nginx serves it again. */
    async function rollBack(to: SwitchState): Promise<string> {
        const images = inputs.verification!.images;
        const restore = await inProxy(proxy, route, files.restoreAndReload);
        if (restore.code !== 0) {
            return `restoring ${describeServed(to, images)} failed too (${lastLine(restore.stderr || restore.stdout)}): ${inputs.color} still serves`;
        }
        try {
            await confirmVersion(at, to.configVersion, inputs.confirmTimeoutMs ?? 10000);
        } catch (err) {
            return `restored the config of ${describeServed(to, images)} but ${(err as Error).message}`;
        }
        return `traffic returned to ${describeServed(to, images)}`;
    }

    /** The switch itself: prepare, reload, confirm. */
    async function switchAndConfirm(): Promise<SwitchState> {
        // 1. Prepare, in one command in the proxy's container: validate a candidate file and, only
        //    if nginx accepts it, install it, keeping the previous one. nginx still runs the old
        //    config: nothing has moved yet.
        const prepared = await inProxy(
            proxy,
            route,
            remote ? files.installAndReload : files.install,
            bundle(text, tlsBundle(inputs, files.conf)),
        );
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
        const signalled = Date.now();
        const reloadVia = remote
            ? "agent, with the install"
            : masterPid !== undefined && signal(masterPid)
              ? "signal"
              : "exec";
        const reload =
            remote || reloadVia === "signal" ? { code: 0, stderr: "", stdout: "" } : await exec(proxy, files.reload);
        if (reload.code !== 0) {
            await inProxy(proxy, route, files.restore);
            throw new Error(
                `${target} failed: nginx -s reload failed: ${nginxComplaint(reload.stderr || reload.stdout)}; ` +
                    `previous config file restored`,
            );
        }
        let firstAnswerMs: number;
        try {
            // 3. Confirm on fresh connections; the time to the first answer is the switch latency.
            const confirmStarted = Date.now();
            const firstSeen = await confirmVersion(at, rendered.version, inputs.confirmTimeoutMs ?? 10000);
            firstAnswerMs = confirmStarted - signalled + firstSeen;
        } catch (err) {
            const restore = await inProxy(proxy, route, files.restoreAndReload);
            await sleep(SETTLE_MS); // let the workers of the failed config stop accepting
            const restored =
                restore.code === 0 ? "previous config restored" : `restore failed too: ${lastLine(restore.stderr)}`;
            throw new Error(`${target} failed: ${(err as Error).message}; ${restored}`);
        }
        return {
            ...stateOf(inputs),
            appliedAt: new Date().toISOString(),
            prepareMs: signalled - started,
            prepareVia: prepared.via,
            reloadVia,
            switchMs: firstAnswerMs,
            totalMs: Date.now() - started,
        };
    }
}

const INPUT_KEYS: (keyof SwitchState & keyof ProxySwitchInputs)[] = [
    "proxyContainer",
    "proxyContainerId",
    "color",
    "host",
    "port",
    "configVersion",
    "publicUrl",
    "proxyIsService",
    "probeFrom",
    "confPath",
    "tls",
    "maintenance",
    "canary",
];

export const proxySwitchProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: SwitchState, news: ProxySwitchInputs) {
        const changed = INPUT_KEYS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: ProxySwitchInputs) {
        return { id: `${inputs.proxyContainer}-switch`, outs: await applySwitch(inputs) };
    },
    async update(_id: string, olds: SwitchState, news: ProxySwitchInputs) {
        return { outs: await applySwitch(news, olds) };
    },
    async read(id: string, props?: SwitchState) {
        // Refresh reports what nginx really serves, so drift (e.g. a restarted proxy) shows up.
        if (props === undefined) {
            return { id, props };
        }
        const served = await proxyContainerOf(props)
            .then((proxy) => dockerOk(["exec", proxy, "cat", props.confPath ?? NGINX_CONF_PATH]))
            .catch(() => "");
        const version = /return 200 "([0-9a-f]{12}) /.exec(served)?.[1];
        return { id, props: version === props.configVersion ? props : { ...props, configVersion: version ?? "none" } };
    },
};

export type ProxySwitchArgs = { readonly [K in keyof ProxySwitchInputs]: pulumi.Input<ProxySwitchInputs[K]> };

/** The live colour as nginx serves it; its `color` output is the truth about traffic. */
export class ProxySwitch extends ModuleDynamicResource {
    public readonly color!: pulumi.Output<Color>;
    public readonly configVersion!: pulumi.Output<string>;
    public readonly switchMs!: pulumi.Output<number>;
    public readonly maintenance!: pulumi.Output<Maintenance | undefined>;
    public readonly canary!: pulumi.Output<Canary | undefined>;
    public readonly verified!: pulumi.Output<VerificationOutcome | undefined>;

    constructor(name: string, args: ProxySwitchArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            { module: __filename, exportName: "proxySwitchProvider" },
            name,
            {
                // Outputs even when off (a resource's outputs are the keys it registers).
                maintenance: undefined,
                tls: undefined,
                canary: undefined,
                verified: undefined,
                ...args,
                appliedAt: undefined,
                prepareMs: undefined,
                prepareVia: undefined,
                reloadVia: undefined,
                switchMs: undefined,
                totalMs: undefined,
            },
            opts,
        );
    }
}
