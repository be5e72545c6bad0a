// `npm run status`: what nginx serves (asked of nginx itself), each colour's image, container and
// health, a canary, maintenance and the certificate. Exit 0 only when a colour serves and both are healthy.
import { imageOf } from "../../components/core/appSettings";
import { COLORS } from "../../components/core/color";
import { describeProbe } from "../../components/runtime/probe";
import { describeEndpoint, probeEndpoint } from "../../components/runtime/reach";
import { containerState, runningDigest, serviceState } from "./containers";
import { engineOf } from "./engineOf";
import { configMatches, currentStack, pulumi, serving, Stack } from "./stack";

export async function status(app?: string): Promise<number> {
    const first = await currentStack(app, { anyApp: true });
    const s = first.settings;
    // One app when named; else the stack's own and every app of `apps`.
    const targets =
        app !== undefined
            ? [first]
            : [
                  ...(first.app === undefined ? [first] : []),
                  ...(await Promise.all(first.apps.map((a) => currentStack(a)))),
              ];
    const orchestrator = first.swarm ? `, orchestrator: swarm, ${s.replicas} replicas per colour` : "";
    console.log(`stack:   ${first.name} (engine: ${engineOf(first.name, s.engine)}${orchestrator})`);
    let ok = true;
    const recorded = await recordedServing();
    for (const target of targets) {
        ok = (await appStatus(target, targets.length > 1, recorded.get(target.appName))) && ok;
    }
    if (s.tls !== undefined) {
        console.log(await certificateLine(first));
    }
    if (s.tls?.acme !== undefined) {
        console.log(await acmeLine(first.containerName("acme")));
    }
    return ok ? 0 : 1;
}

/** One app's lines: what nginx serves it, each colour, a canary, maintenance. True when it serves and both colours are healthy. */
async function appStatus(stack: Stack, named: boolean, recorded: string | undefined): Promise<boolean> {
    const s = stack.settings;
    if (named) {
        const routes = [s.route.hosts.join(",") || "any host", s.route.pathPrefix].join(" ");
        console.log(`\napp:     ${stack.app ?? `${stack.name} (the stack's own)`}: ${routes}`);
    }
    const now = await serving(stack);
    console.log(`config:  liveColor=${s.liveColor}`);
    console.log(`serving: ${now?.color ?? "nothing (proxy not answering)"} at ${describeEndpoint(stack.nginx)}`);
    if (now !== undefined && !configMatches(s, now)) {
        const app = stack.app ? ` -- --app ${stack.app}` : "";
        console.log(
            `warning: config and traffic disagree (a failed release, or one its verification undid?); ` +
                `npm run rollback${app} aligns them`,
        );
    }
    const nginxSays = now && describeServing(now);
    if (nginxSays !== undefined && recorded !== undefined && recorded !== nginxSays) {
        const app = stack.app ? ` -- --app ${stack.app}` : "";
        console.log(
            `warning: state and traffic disagree: the stack's state records ${recorded}, nginx serves ${nginxSays} ` +
                `(an update interrupted after traffic moved?); npm run recover${app} records what config says`,
        );
    }
    let allHealthy = true;
    for (const color of COLORS) {
        const at = stack.colour(color);
        const health = await probeEndpoint(at, s.healthPath, 2000);
        const healthy = health.status !== undefined && health.status >= 200 && health.status < 300;
        allHealthy &&= healthy;
        const role = color === now?.color ? "live   " : "standby";
        console.log(
            `${color.padEnd(5)}   ${role} image=${imageOf(s, color)} ${await runs(stack, color)} ` +
                `health=${healthy ? "ok" : describeProbe(health)} url=${describeEndpoint(at)}`,
        );
    }
    if (now?.canary) {
        console.log(
            `canary:  ${now.canary.percent}% of clients to ${now.canary.color} (${imageOf(s, now.canary.color)})`,
        );
    }
    if (s.maintenance.on) {
        console.log(`maintenance: on (nginx answers 503 but for ${s.healthPath}; npm run maintenance off)`);
    }
    return now !== undefined && allHealthy;
}

/** Where traffic goes, in words: `green`, `blue with 10% to green`. */
function describeServing(served: { color: string; canary?: { percent: number; color: string } }): string {
    return served.canary ? `${served.color} with ${served.canary.percent}% to ${served.canary.color}` : served.color;
}

/** What each App's proxy switch recorded serving in the stack's state, by App name. */
async function recordedServing(): Promise<Map<string, string>> {
    const exported = await pulumi(["stack", "export"]);
    const resources =
        exported.code === 0
            ? ((JSON.parse(exported.stdout) as { deployment?: { resources?: StateResource[] } }).deployment
                  ?.resources ?? [])
            : [];
    const found = new Map<string, string>();
    for (const r of resources) {
        const app = /::([^:]+)-switch$/.exec(r.urn)?.[1];
        if (app !== undefined && r.type === "pulumi-nodejs:dynamic:Resource" && typeof r.outputs?.color === "string") {
            found.set(app, describeServing({ color: r.outputs.color, canary: r.outputs.canary ?? undefined }));
        }
    }
    return found;
}

interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly outputs?: { color?: unknown; canary?: { percent: number; color: string } | null };
}

/** What runs a colour: its replicas and nodes on a swarm, else its image's digest and container state. */
async function runs(stack: Stack, color: "blue" | "green"): Promise<string> {
    const name = stack.containerName(color);
    if (stack.swarm) {
        const state = await serviceState(name);
        return state
            ? `replicas=${state.running}/${state.wanted} nodes=${state.nodes.join(",") || "none"}`
            : "service=missing";
    }
    const digest = await runningDigest(name, imageOf(stack.settings, color));
    return `digest=${digest} container=${await containerState(name)}`;
}

/** What the ACME agent beside the proxy says: its certificate, the next renewal, the last failure. */
async function acmeLine(name: string): Promise<string> {
    const { agentStatus } =
        require("../../components/providers/acmeGate") as typeof import("../../components/providers/acmeGate");
    const st = await agentStatus(name);
    if (st === undefined) {
        return `acme:   the agent ${name} does not answer (docker logs ${name})`;
    }
    const cert =
        st.state === "issued"
            ? `issued by ${st.issuer}, serial ${st.serial}, expires ${st.notAfter}, renews at ${st.renewAt}, ${st.renewals ?? 0} renewal(s)`
            : `${st.state} (no certificate from the directory yet)`;
    const failed = st.lastError ? `; last failure at ${st.lastErrorAt}: ${st.lastError}` : "";
    return `acme:   ${cert}${failed}`;
}

/** The certificate HTTPS serves: from a handshake on this machine, else the configured one. */
async function certificateLine(stack: Stack): Promise<string> {
    const { certificateInfo, daysLeft, EXPIRY_WARNING_DAYS } =
        require("../../components/core/certificates") as typeof import("../../components/core/certificates");
    const { X509Certificate } = require("crypto") as typeof import("crypto");
    const port = stack.settings.httpsPort;
    const configured = stack.configured.tlsCertificate;
    const served = stack.site.kind === "local" ? await servedCertificate(port) : undefined;
    if (served === undefined && !configured) {
        return `https:  nothing answers TLS at https://127.0.0.1:${port} from here`;
    }
    let info;
    try {
        info = certificateInfo(served ?? new X509Certificate(configured!));
    } catch {
        return `https:  bluegreen:tlsCertificate does not parse (npm run preview says why)`;
    }
    const days = daysLeft(info, new Date());
    const soon = days < EXPIRY_WARNING_DAYS ? ` (warning: ${days} day(s) left)` : ` (${days} days left)`;
    const where = served ? `served at https://127.0.0.1:${port}` : `configured (not checked on the server)`;
    return `https:  ${where}: subject=${info.subject} issuer=${info.issuer} expires=${info.notAfter}${soon}`;
}

/** The certificate nginx presents on `port` of this machine, or undefined when nothing answers TLS. */
function servedCertificate(port: number): Promise<import("crypto").X509Certificate | undefined> {
    const tls = require("tls") as typeof import("tls");
    return new Promise((resolve) => {
        const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, timeout: 3000 }, () => {
            const raw = socket.getPeerX509Certificate();
            socket.end();
            resolve(raw);
        });
        socket.on("error", () => resolve(undefined));
        socket.on("timeout", () => {
            socket.destroy();
            resolve(undefined);
        });
    });
}
