// Dynamic provider: points the running nginx at one colour without recreating its container.
// write candidate -> nginx -t -> install -> reload -> confirm on a fresh connection; restore on failure.
import * as pulumi from "../sdk";
import { ModuleDynamicResource } from "./dynamicResource";
import type { Color } from "../core/color";
import { Canary, Maintenance, NGINX_CONF_PATH, parseVersionBody, SwarmRouting, Tls, VERSION_PATH } from "../core/nginx";
import type { TlsFiles } from "../core/nginx/tls";
import { answersFiles } from "../core/nginx/verify";
import {
    appKey,
    appOfColourHost,
    type AppRecord,
    type AppRoute,
    readRecords,
    recordVersion,
    renderApps,
    unrecordedApp,
} from "../core/nginx/apps";
import { bundle, confFiles, nginxComplaint, tlsBundle } from "../core/nginx/install";
import { probeHost } from "../core/routing";
import { lastLine } from "../core/text";
import type { Endpoint, Vantage } from "../core/site";
import { colorToVerify, describeServed } from "../core/verification";
import { confirmVersion } from "../runtime/confirm";
import { dockerOk } from "../runtime/docker";
import { currentConfig, installAndConfirm, type NginxAt } from "../runtime/nginxSwitch";
import { inProxy, proxyContainerOf, proxyRoute } from "../runtime/proxyShell";
import { probeEndpoint } from "../runtime/reach";
import { VerificationInput, watchAnswers } from "../runtime/verifyWindow";

/** Test seam: set to 1 to make the rendered config invalid, to prove the restore path. */
export const BREAK_CONFIG_ENV = "BLUEGREEN_TEST_BREAK_PROXY_CONFIG";

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
    /** The app's own certificate for its hosts (served by SNI): its files, named by its fingerprint. */
    readonly hostTls?: TlsFiles;
    /** The PEM chain to install at `hostTls.certificate` (not kept in state). */
    readonly hostTlsCertificate?: string;
    /** The PEM key to install at `hostTls.key`: a secret, never returned as an output. */
    readonly hostTlsKey?: string;
    /** Maintenance mode: nginx answers 503 but for the health and version endpoints. */
    readonly maintenance?: Maintenance;
    /** A sticky share of clients to the idle colour. */
    readonly canary?: Canary;
    /** The App, when it shares its proxy: its records in nginx's config are keyed by it. */
    readonly app?: string;
    /** On a proxy shared by several apps: the host names and path prefix the app takes. */
    readonly route?: AppRoute;
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

/** The certificates and keys: installed as files, never kept in state (the file names stand for them). */
type PemInputs = "tlsCertificate" | "tlsKey" | "hostTlsCertificate" | "hostTlsKey";

/** What the switch keeps in its state: its inputs less the certificate and key (their file names stay). */
export type SwitchState = Omit<ProxySwitchInputs, PemInputs> & {
    appliedAt: string;
    /** Validating and installing the config file, before anything moves. */
    prepareMs: number;
    /** Switch latency: from the reload signal to the first answer of the new config on a fresh connection. */
    switchMs: number;
    /** How the reload was triggered: a signal to the local nginx master, or `docker exec`. */
    reloadVia: string;
    /** How the config was validated and installed: `nsenter` on a local engine, or `docker exec`. */
    prepareVia: string;
    /** Whether nginx's old workers were told to stop as soon as new ones ran (a local engine's signal). */
    oldWorkersRetired?: boolean;
    /** The whole switch, including the settle window (not the verification). */
    totalMs: number;
    /** The last verification of the colours now serving, if any. */
    verified?: VerificationOutcome;
};

/** The state kept: everything but the certificate and the key. */
function stateOf(inputs: ProxySwitchInputs): Omit<ProxySwitchInputs, PemInputs> {
    const kept = { ...inputs };
    delete kept.tlsCertificate;
    delete kept.tlsKey;
    delete kept.hostTlsCertificate;
    delete kept.hostTlsKey;
    return kept;
}

/**
 * Applies the config for `inputs.color`; on any failure the previous config keeps serving. With
 * `verification`, and traffic moving to a colour (see colorToVerify), the switch then watches that
 * colour's answers and restores `previous` when they fail.
 */
export async function applySwitch(inputs: ProxySwitchInputs, previous?: SwitchState): Promise<SwitchState> {
    const started = Date.now();
    const own = switchRecord(inputs);
    const version = recordVersion(own);
    if (version !== inputs.configVersion) {
        throw new Error(`proxy config version mismatch: program rendered ${inputs.configVersion}, provider ${version}`);
    }
    const target = `proxy switch to ${inputs.color}`;
    const files = confFiles(inputs.confPath ?? NGINX_CONF_PATH);
    const proxy = await proxyContainerOf(inputs);

    // A probe vantage is how the program marks a remote engine (components/core/site.ts): its PIDs
    // are not this machine's. On a local engine the nginx master's PID (for the reload) also lets
    // commands run by entering the container's namespaces, not through `docker exec`.
    const route = await proxyRoute(proxy, inputs.probeFrom !== undefined);
    const at = { url: inputs.publicUrl, from: inputs.probeFrom, hostHeader: probeHost(inputs.route?.hosts ?? []) };
    const nginx: NginxAt = { proxy, route, files, at, confirmTimeoutMs: inputs.confirmTimeoutMs ?? 10000 };
    const current = await currentConfig(nginx);
    // The other apps on this proxy are rendered again exactly as their own switches recorded them.
    const others = otherApps(current, own.app).filter(
        // An app alone on its proxy (no route) replaces any other app recorded alone: its own older record.
        (r) => inputs.route !== undefined || r.route !== undefined,
    );
    const rendered = renderApps([...others, own], inputs.tls);
    const text = process.env[BREAK_CONFIG_ENV] === "1" ? `${rendered.text}\nthis_is_not_a_directive;\n` : rendered.text;
    // A rollback moves traffic before its update (scripts/commands/trafficFirst.ts): nginx may serve
    // this very config already, and then nothing moves here.
    const already = current === text && (await servesVersion(at, version));
    // Already moved or not, the colour that took traffic is watched (a rollback's too): undoing it
    // puts back the config kept beside it, the one nginx ran before the move.
    const watched = previous && inputs.verification ? colorToVerify(previous, inputs) : undefined;
    // On a shared proxy each app logs its own answers (a window of one app never sees another's).
    const answers = answersFiles(inputs.route ? appKey(own.app) : undefined);
    if (watched === undefined) {
        // Traffic goes to no one new: the last verification still describes what serves, if any.
        const same =
            previous?.color === inputs.color && JSON.stringify(previous.canary) === JSON.stringify(inputs.canary);
        const state = already ? servedAlready() : await switchAndConfirm();
        if (inputs.verification || previous?.verification) {
            // An update killed mid-window left nginx logging: this switch ends that.
            await inProxy(proxy, route, answers.stop);
        }
        return same && inputs.verification && previous?.verified ? { ...state, verified: previous.verified } : state;
    }
    const run = (command: string) => inProxy(proxy, route, command);
    const start = await run(answers.start);
    if (start.code !== 0) {
        throw new Error(`${target} failed: could not start logging answers: ${lastLine(start.stderr || start.stdout)}`);
    }
    try {
        const state = already ? servedAlready() : await switchAndConfirm();
        const verdict = await watchAnswers(run, watched, inputs.verification!, answers.log).catch((err: Error) => ({
            kind: "fail" as const,
            reason: `${err.message} while watching ${watched}`,
        }));
        if (verdict.kind === "fail") {
            throw new Error(`verification failed: ${verdict.reason}; ${await rollBack(previous!)}`);
        }
        const outcome = verdict.kind === "pass" ? "passed" : "not judged";
        return { ...state, verified: { outcome, summary: verdict.summary, at: new Date().toISOString() } };
    } finally {
        await run(answers.stop);
    }

    /** Puts back the config this switch replaced (kept beside it) and proves nginx serves it again. */
    async function rollBack(to: SwitchState): Promise<string> {
        const images = inputs.verification!.images;
        const restore = await inProxy(proxy, route, files.restoreAndReload);
        if (restore.code !== 0) {
            return `restoring ${describeServed(to, images)} failed too (${lastLine(restore.stderr || restore.stdout)}): ${inputs.color} still serves`;
        }
        try {
            await confirmVersion(at, to.configVersion, nginx.confirmTimeoutMs);
        } catch (err) {
            return `restored the config of ${describeServed(to, images)} but ${(err as Error).message}`;
        }
        return `traffic returned to ${describeServed(to, images)}`;
    }

    /** The switch itself: prepare, reload, confirm (components/runtime/nginxSwitch.ts). */
    async function switchAndConfirm(): Promise<SwitchState> {
        const switched = await installAndConfirm(nginx, target, bundle(text, tlsBundle(inputs, files.conf)), version);
        return { ...stateOf(inputs), appliedAt: new Date().toISOString(), ...switched, totalMs: Date.now() - started };
    }

    /** nginx served this config before the update asked: recorded as a switch that took no time. */
    function servedAlready(): SwitchState {
        const [prepareMs, switchMs] = [0, 0];
        const totalMs = Date.now() - started;
        const via = "none: nginx served it already";
        return {
            ...stateOf(inputs),
            appliedAt: new Date().toISOString(),
            prepareMs,
            switchMs,
            totalMs,
            prepareVia: via,
            reloadVia: via,
        };
    }
}

/** Whether one fresh connection to nginx's version endpoint answers `version`. */
async function servesVersion(at: Endpoint, version: string): Promise<boolean> {
    const answer = await probeEndpoint(at, VERSION_PATH, 2000);
    return answer.status === 200 && parseVersionBody(answer.body)?.version === version;
}

/** What this switch serves, as its record in nginx's config (see core/nginx/apps.ts). */
function switchRecord(
    inputs: Omit<ProxySwitchInputs, PemInputs | "configVersion" | "proxyContainerId" | "publicUrl">,
): AppRecord {
    return {
        app: inputs.app ?? appOfColourHost(inputs.host),
        target: { color: inputs.color, host: inputs.host, port: inputs.port },
        edge: {
            tls: inputs.tls,
            maintenance: inputs.maintenance,
            canary: inputs.canary,
            verify: inputs.verification !== undefined ? true : undefined,
        },
        swarm: inputs.swarm,
        route: inputs.route,
        hostTls: inputs.hostTls,
    };
}

/** The records of the other apps in the config nginx runs now. */
export function otherApps(current: string, app: string): AppRecord[] {
    const recorded = readRecords(current);
    const records = recorded.length > 0 ? recorded : [unrecordedApp(current)].filter((r) => r !== undefined);
    return records.filter((r) => r.app !== app);
}

/** Takes an app's routes out of a shared proxy; an app alone leaves its config (the proxy goes with it). */
async function removeApp(state: SwitchState): Promise<void> {
    const proxy = await proxyContainerOf(state).catch(() => undefined);
    if (proxy === undefined) {
        return;
    }
    const files = confFiles(state.confPath ?? NGINX_CONF_PATH);
    const route = await proxyRoute(proxy, state.probeFrom !== undefined);
    const app = switchRecord(state).app;
    const others = await currentConfig({ proxy, route, files })
        .then((current) => otherApps(current, app))
        .catch(() => []);
    if (others.length === 0) {
        return;
    }
    const removed = await inProxy(proxy, route, files.installAndReload, bundle(renderApps(others, state.tls).text, []));
    if (removed.code !== 0) {
        throw new Error(
            `taking App ${JSON.stringify(app)} off its proxy failed: ${nginxComplaint(removed.stderr || removed.stdout)}; ` +
                `its routes still serve`,
        );
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
    "app",
    "route",
    "hostTls",
];

export const proxySwitchProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: SwitchState, news: ProxySwitchInputs) {
        const changed = INPUT_KEYS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: ProxySwitchInputs) {
        const app = inputs.app ? `-${inputs.app}` : "";
        return { id: `${inputs.proxyContainer}${app}-switch`, outs: await applySwitch(inputs) };
    },
    async update(_id: string, olds: SwitchState, news: ProxySwitchInputs) {
        return { outs: await applySwitch(news, olds) };
    },
    async delete(_id: string, props: SwitchState) {
        await removeApp(props);
    },
    async read(id: string, props?: SwitchState) {
        // Refresh reports what nginx really serves, so drift (e.g. a restarted proxy) shows up.
        if (props === undefined) {
            return { id, props };
        }
        const served = await proxyContainerOf(props)
            .then((proxy) => dockerOk(["exec", proxy, "cat", props.confPath ?? NGINX_CONF_PATH]))
            .catch(() => "");
        const record = readRecords(served).find((r) => r.app === switchRecord(props).app);
        const version = record ? recordVersion(record) : /return 200 "([0-9a-f]{12}) /.exec(served)?.[1];
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
