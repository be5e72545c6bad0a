// `npm run release -- <image>`, `npm run rollback`, `npm run status`, `npm run maintenance on|off`: thin wrappers over
// `pulumi config set` and `pulumi up` that read the truth about traffic from nginx itself.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    Color,
    DEFAULTS,
    otherColor,
    validateEngine,
    validateImage,
    validateInteger,
    validateSwitch,
} from "../components/config";
import { containerName, MANAGED_LABEL } from "../components/names";
import { repoDigestOf } from "../components/imageRef";
import { describeProbe } from "../components/providers/probe";
import { describeEndpoint, probeEndpoint, served, servingColor } from "../components/providers/reach";
import { closeAgents } from "../components/providers/probeAgent";
import { dockerEnv } from "../components/providers/sshMux";
import { findSite } from "../components/engines/address";
import { colourEndpoint, Endpoint, proxyEndpoint } from "../components/site";
import { orphanedProviders, staleLocks } from "./locks";
import { isOrphan, PendingOperation, pendingCreates } from "./pendingCreates";
import { PreviewJson, renderMarkdown, renderText, summarizePreview } from "./previewSummary";
import { selectedStack, stackConfig } from "./stackFiles";

function pulumi(args: string[], inherit = false): { code: number; stdout: string; stderr: string } {
    const stack = process.env.PULUMI_STACK ? ["--stack", process.env.PULUMI_STACK] : [];
    const result = childProcess.spawnSync("pulumi", [...args, ...stack], {
        encoding: "utf8",
        stdio: inherit ? "inherit" : "pipe",
    });
    if (result.error) {
        throw new Error(`cannot run pulumi (${result.error.message}); run make setup and . scripts/env.sh`);
    }
    return { code: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

function pulumiOk(args: string[]): string {
    const result = pulumi(args);
    if (result.code !== 0) {
        throw new Error(`pulumi ${args.join(" ")} failed: ${result.stderr.trim().split("\n").pop()}`);
    }
    return result.stdout;
}

/** The stack's config, from Pulumi.<stack>.yaml when it is there (no CLI start), else from the CLI. */
function config(): Record<string, string> {
    const fromFile = stackConfig(process.cwd(), stackName().split("/").pop()!);
    if (fromFile !== undefined) {
        return fromFile;
    }
    const raw = JSON.parse(pulumiOk(["config", "--json"])) as Record<string, { value?: string }>;
    const values: Record<string, string> = {};
    for (const [key, entry] of Object.entries(raw)) {
        if (entry.value !== undefined) {
            values[key.replace(/^bluegreen:/, "")] = entry.value;
        }
    }
    return values;
}

/** nginx's public listener: on this machine's 127.0.0.1, or on a remote engine from inside the proxy. */
function nginxAt(values: Record<string, string>): Endpoint {
    const port = Number(values.publicPort ?? DEFAULTS.publicPort);
    return proxyEndpoint(findSite(), stackName(), port, values.orchestrator === "swarm");
}

/** The colour nginx really serves, or undefined when no proxy answers. */
function servingColorOf(values: Record<string, string>): Promise<Color | undefined> {
    return servingColor(nginxAt(values));
}

let selected: string | undefined;

function stackName(): string {
    selected ??=
        process.env.PULUMI_STACK ||
        selectedStack(process.cwd(), process.env.PULUMI_HOME) ||
        pulumiOk(["stack", "--show-name"]).trim();
    return selected;
}

function containerState(name: string): string {
    const result = childProcess.spawnSync("docker", ["inspect", "--format", "{{.State.Status}}", name], {
        encoding: "utf8",
        env: dockerEnv(),
    });
    return result.status === 0 ? result.stdout.trim() : "missing";
}

/** A swarm colour's tasks: how many run of how many Swarm wants, and on which nodes. */
function serviceState(name: string): { running: number; wanted: number; nodes: string[] } | undefined {
    const result = childProcess.spawnSync(
        "docker",
        ["service", "ps", "--filter", "desired-state=running", "--format", "{{.CurrentState}}|{{.Node}}", name],
        { encoding: "utf8", env: dockerEnv() },
    );
    if (result.status !== 0) {
        return undefined;
    }
    const tasks = result.stdout.split("\n").filter(Boolean);
    const running = tasks.filter((t) => t.startsWith("Running"));
    const nodes = [...new Set(running.map((t) => t.split("|")[1]))].sort();
    return { running: running.length, wanted: tasks.length, nodes };
}

/** Whether a colour can take traffic back: its container, or on a swarm its service's tasks, running. */
function colourState(stack: string, color: Color, values: Record<string, string>): { up: boolean; text: string } {
    const name = containerName(stack, color);
    if (values.orchestrator === "swarm") {
        const state = serviceState(name);
        const text = state ? `${state.running} of ${state.wanted} tasks running` : "missing";
        return { up: (state?.running ?? 0) > 0, text: `service ${name} has ${text}` };
    }
    const state = containerState(name);
    return { up: state === "running", text: `container ${name} is ${state}` };
}

/**
 * One `pulumi up` that also saves the config changes (`-c` writes Pulumi.<stack>.yaml first, as
 * `pulumi config set` would). No separate preview: the release guard's check and every gate run in
 * the update itself, and `npm run preview` shows the plan beforehand.
 */
function up(changes: Record<string, string> = {}): number {
    const args = ["up", "--yes", "--skip-preview", "--non-interactive"];
    for (const [key, value] of Object.entries(changes)) {
        args.push("--config", `bluegreen:${key}=${value}`);
    }
    console.log(`\n$ pulumi ${args.join(" ")}`);
    closeAgents(); // the probes of this process are done: free their SSH sessions for the update's
    return pulumi(args, true).code;
}

/** `--canary N` in a release's arguments: the share (1-100), or undefined for a plain release. */
function canaryArg(args: string[]): number | undefined {
    const at = args.indexOf("--canary");
    if (at < 0) {
        return undefined;
    }
    const share = validateInteger("canary", args[at + 1] ?? "", 1, 100);
    return share;
}

async function release(args: string[]): Promise<number> {
    const image = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--canary");
    if (image === undefined) {
        throw new Error(
            "usage: npm run release -- <image> [--canary N]   (e.g. npm run release -- bluegreen-sample:2 --canary 10)",
        );
    }
    validateImage("image", image);
    const canary = canaryArg(args);
    const values = config();
    const live = (await servingColorOf(values)) ?? (values.liveColor as Color);
    const idle = otherColor(live);
    if (values.liveColor !== live) {
        console.log(`note: config says liveColor=${values.liveColor} but nginx serves ${live}; releasing onto ${idle}`);
        if (values[`${live}Image`] !== undefined) {
            console.log(`note: ${live}Image stays ${values[`${live}Image`]}`);
        }
    }
    if (canary !== undefined) {
        console.log(`canary: ${idle} ${values[`${idle}Image`]} -> ${image}, then ${canary}% of clients to ${idle}`);
        const code = up({ [`${idle}Image`]: image, liveColor: live, canaryPercent: String(canary) });
        console.log(
            code === 0
                ? `\ncanary: ${canary}% of clients on ${idle} (${image}); npm run promote moves all, npm run abort none`
                : `\ncanary failed: every client stays on ${live} if the proxy switch did not run or its verification ` +
                      `undid it (npm run status shows what serves); npm run abort puts config back in line`,
        );
        return code;
    }
    console.log(`release: ${idle} ${values[`${idle}Image`]} -> ${image}, then traffic ${live} -> ${idle}`);
    const code = up({
        [`${idle}Image`]: image,
        liveColor: idle,
        ...(values.canaryPercent ? { canaryPercent: "0" } : {}),
    });
    if (code !== 0) {
        console.error(
            `\nrelease failed: traffic stays on ${live} if the proxy switch did not run (npm run status shows it). ` +
                `To put config back in line with traffic: npm run rollback`,
        );
    } else {
        console.log(
            `\nreleased ${image}: ${idle} serves ${describeEndpoint(nginxAt(values))}; ${live} stays up as standby`,
        );
    }
    return code;
}

/** `npm run promote`: the canary's colour takes every client (liveColor flips, the share back to 0). */
async function promote(): Promise<number> {
    const values = config();
    const share = Number(values.canaryPercent ?? 0);
    const live = (await servingColorOf(values)) ?? (values.liveColor as Color);
    const idle = otherColor(live);
    if (!(share > 0)) {
        throw new Error(
            "promote: no canary is running (canaryPercent is 0); npm run release -- <image> --canary N starts one",
        );
    }
    console.log(`promote: every client to ${idle} (${values[`${idle}Image`]}), ${live} stays up as standby`);
    const code = up({ liveColor: idle, canaryPercent: "0" });
    if (code !== 0) {
        console.error(
            `\npromote failed: the canary stays as it was if the proxy switch did not run or its verification ` +
                `undid it (npm run status shows what serves); npm run rollback puts config back in line`,
        );
    }
    return code;
}

/** `npm run abort`: the canary ends, every client back on the live colour; config otherwise as it is. */
async function abort(): Promise<number> {
    const values = config();
    const live = (await servingColorOf(values)) ?? (values.liveColor as Color);
    console.log(`abort: every client to ${live} (${values[`${live}Image`]}); the canary's colour keeps running`);
    return up({ liveColor: live, canaryPercent: "0" });
}

/** Whether config's liveColor and canaryPercent say what nginx serves (a failed release leaves them ahead). */
function configMatches(values: Record<string, string>, now: NonNullable<Awaited<ReturnType<typeof served>>>): boolean {
    return values.liveColor === now.color && Number(values.canaryPercent ?? 0) === (now.canary?.percent ?? 0);
}

async function rollback(): Promise<number> {
    const values = config();
    const now = await served(nginxAt(values));
    const serving = now?.color;
    const from = serving ?? (values.liveColor as Color);
    const to = otherColor(from);
    const share = String(now?.canary?.percent ?? 0);
    if (now !== undefined && !configMatches(values, now)) {
        // A failed release (or one its verification undid) left config ahead of traffic: rolling
        // back means config follows traffic.
        console.log(
            `rollback: config says liveColor=${values.liveColor} canaryPercent=${values.canaryPercent ?? 0} but ` +
                `nginx serves ${now.color} with ${share}% canary; setting config to match`,
        );
        return up({
            liveColor: now.color,
            ...(values.canaryPercent !== undefined || share !== "0" ? { canaryPercent: share } : {}),
        });
    }
    const state = colourState(stackName(), to, values);
    if (!state.up) {
        throw new Error(
            `rollback refused: the ${to} ${state.text}, ` +
                `so traffic would go to a dead colour; release a good image instead (npm run release -- <image>)`,
        );
    }
    console.log(`rollback: traffic ${from} -> ${to} (${to} runs ${values[`${to}Image`]})`);
    // A canary ends with the rollback: every client goes to `to`.
    return up({ liveColor: to, ...(Number(values.canaryPercent ?? 0) > 0 ? { canaryPercent: "0" } : {}) });
}

/**
 * What a colour's container really runs: the registry digest of its image (for the configured
 * repository when there are several), or the image ID of an image built locally.
 */
function runningDigest(container: string, ref: string): string {
    const inspect = (args: string[]) => childProcess.spawnSync("docker", args, { encoding: "utf8", env: dockerEnv() });
    const image = inspect(["inspect", "--format", "{{.Image}}", container]);
    if (image.status !== 0) {
        return "none";
    }
    const id = image.stdout.trim();
    const digests = inspect(["image", "inspect", "--format", "{{json .RepoDigests}}", id]);
    return (digests.status === 0 && repoDigestOf(ref, JSON.parse(digests.stdout))) || id;
}

/** The engine of a deployed stack (from its containers), or what the first `pulumi up` will choose. */
function engineOf(stack: string, values: Record<string, string>): string {
    // Loaded here: the release and rollback paths never need the engine modules.
    const { chooseEngine } = require("../components/engine") as typeof import("../components/engine");
    const { engineFacts, runningContainers } =
        require("../components/engines/select") as typeof import("../components/engines/select");
    const running = runningContainers(stack).engines;
    if (running.length > 0) {
        return running.join(", ");
    }
    try {
        const chosen = chooseEngine(validateEngine("engine", values.engine ?? DEFAULTS.engine), engineFacts(stack));
        return `${chosen}, chosen at the first pulumi up`;
    } catch (err) {
        return (err as Error).message;
    }
}

function swarmRuns(state: ReturnType<typeof serviceState>): string {
    return state
        ? `replicas=${state.running}/${state.wanted} nodes=${state.nodes.join(",") || "none"}`
        : "service=missing";
}

async function status(): Promise<number> {
    const values = config();
    const stack = stackName();
    const now = await served(nginxAt(values));
    const serving = now?.color;
    const orchestrator =
        values.orchestrator === "swarm" ? `, orchestrator: swarm, ${values.replicas ?? 1} replicas per colour` : "";
    console.log(`stack:   ${stack} (engine: ${engineOf(stack, values)}${orchestrator})`);
    console.log(`config:  liveColor=${values.liveColor}`);
    console.log(`serving: ${serving ?? "nothing (proxy not answering)"} at ${describeEndpoint(nginxAt(values))}`);
    if (now !== undefined && !configMatches(values, now)) {
        console.log(
            `warning: config and traffic disagree (a failed release, or one its verification undid?); ` +
                `npm run rollback aligns them`,
        );
    }
    let allHealthy = true;
    for (const color of ["blue", "green"] as const) {
        const at = colourEndpoint(
            findSite(),
            stack,
            color,
            {
                hostPort: Number(values[`${color}Port`] ?? DEFAULTS[`${color}Port`]),
                appPort: Number(values.appPort ?? DEFAULTS.appPort),
            },
            values.orchestrator === "swarm",
        );
        const health = await probeEndpoint(at, values.healthPath ?? DEFAULTS.healthPath, 2000);
        const healthy = health.status !== undefined && health.status >= 200 && health.status < 300;
        allHealthy &&= healthy;
        const role = color === serving ? "live   " : "standby";
        const name = containerName(stack, color);
        const runs =
            values.orchestrator === "swarm"
                ? swarmRuns(serviceState(name))
                : `digest=${runningDigest(name, values[`${color}Image`] ?? "")} container=${containerState(name)}`;
        console.log(
            `${color.padEnd(5)}   ${role} image=${values[`${color}Image`]} ${runs} ` +
                `health=${healthy ? "ok" : describeProbe(health)} url=${describeEndpoint(at)}`,
        );
    }
    if (now?.canary) {
        console.log(
            `canary:  ${now.canary.percent}% of clients to ${now.canary.color} (${values[`${now.canary.color}Image`]})`,
        );
    }
    if ((values.maintenance ?? DEFAULTS.maintenance) === "on") {
        console.log(
            `maintenance: on (nginx answers 503 but for ${values.healthPath ?? DEFAULTS.healthPath}; npm run maintenance off)`,
        );
    }
    if (values.tlsCertificate || values.tlsAcmeEmail) {
        console.log(await certificateLine(values));
    }
    if (values.tlsAcmeEmail) {
        console.log(await acmeLine(stack));
    }
    return serving !== undefined && allHealthy ? 0 : 1;
}

/** What the ACME agent beside the proxy says: its certificate, the next renewal, the last failure. */
async function acmeLine(stack: string): Promise<string> {
    const { agentStatus } =
        require("../components/providers/acmeGate") as typeof import("../components/providers/acmeGate");
    const name = `${stack}-acme`;
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
async function certificateLine(values: Record<string, string>): Promise<string> {
    const { certificateInfo, daysLeft, EXPIRY_WARNING_DAYS } =
        require("../components/tls") as typeof import("../components/tls");
    const { X509Certificate } = require("crypto") as typeof import("crypto");
    const port = Number(values.httpsPort ?? DEFAULTS.httpsPort);
    const served = findSite().kind === "local" ? await servedCertificate(port) : undefined;
    if (served === undefined && !values.tlsCertificate) {
        return `https:  nothing answers TLS at https://127.0.0.1:${port} from here`;
    }
    let info;
    try {
        info = certificateInfo(served ?? new X509Certificate(values.tlsCertificate));
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

/** `npm run maintenance on|off`: nginx answers 503 (or serves again) after one reload; colours untouched. */
function maintenance(value: string | undefined): number {
    if (value !== "on" && value !== "off") {
        throw new Error("usage: npm run maintenance -- on|off");
    }
    validateSwitch("maintenance", value);
    console.log(
        `maintenance ${value}: ${value === "on" ? "nginx will answer 503 with Retry-After" : "nginx serves the live colour again"}`,
    );
    return up({ maintenance: value });
}

/**
 * After `pulumi up` was killed: drop its stale lock, clear the operations it left pending, then
 * run `pulumi up` so state, containers and nginx agree again.
 */
async function recover(): Promise<number> {
    // A killed CLI leaves its program process behind, spinning on the dead engine connection.
    childProcess.spawnSync("pkill", ["-KILL", "-f", `@pulumi/pulumi/cmd/run/index.js .* --stack ${stackName()} `]);
    // ... and its dynamic provider processes, in process groups of their own, idle on a dead engine.
    for (const pid of await orphanedProviders()) {
        console.log(`recover: stopping a dynamic provider process whose pulumi is gone (pid ${pid})`);
        process.kill(pid, "SIGKILL");
    }
    for (const lock of staleLocks(process.env.PULUMI_BACKEND_URL ?? "", stackName())) {
        console.log(`recover: removing the lock of a pulumi process that is gone (${lock})`);
        fs.rmSync(lock);
    }
    const exported = JSON.parse(pulumiOk(["stack", "export"])) as {
        deployment?: { pending_operations?: PendingOperation[]; resources?: { id?: string }[] };
    };
    const pending = exported.deployment?.pending_operations ?? [];
    const recorded = new Set((exported.deployment?.resources ?? []).map((r) => r.id ?? ""));
    for (const { kind, name } of pendingCreates(pending)) {
        const format =
            kind === "service"
                ? `{{.ID}} {{index .Spec.Labels "${MANAGED_LABEL}"}}`
                : `{{.Id}} {{index .Config.Labels "${MANAGED_LABEL}"}}`;
        const found = childProcess.spawnSync("docker", [kind, "inspect", "--format", format, name], {
            encoding: "utf8",
            env: dockerEnv(),
        });
        const [id = "", owner = ""] = found.status === 0 ? found.stdout.trim().split(" ") : [];
        if (isOrphan({ id, stack: owner }, stackName(), recorded)) {
            console.log(`recover: removing the ${kind} ${name} the interrupted update created but did not record`);
            childProcess.spawnSync("docker", kind === "service" ? ["service", "rm", name] : ["rm", "-f", name], {
                env: dockerEnv(),
            });
        }
    }
    if (pending.length > 0) {
        console.log(`recover: clearing ${pending.length} pending operation(s) of the interrupted update`);
        delete exported.deployment!.pending_operations;
        const file = path.join(os.tmpdir(), `bluegreen-recover-${process.pid}.json`);
        fs.writeFileSync(file, JSON.stringify(exported));
        try {
            pulumiOk(["stack", "import", "--file", file]);
        } finally {
            fs.rmSync(file, { force: true });
        }
    }
    await stopAnswersLog(stackName(), config());
    return up();
}

/** An update killed while verifying leaves nginx logging answers: stop it and empty the log. */
async function stopAnswersLog(stack: string, values: Record<string, string>): Promise<void> {
    // Loaded here, as the other provider modules the helpers need only now and then.
    const { STOP_ANSWERS } =
        require("../components/providers/verifyWindow") as typeof import("../components/providers/verifyWindow");
    const { VERIFY_MARKER } = require("../components/nginx") as typeof import("../components/nginx");
    const { docker } = require("../components/providers/docker") as typeof import("../components/providers/docker");
    const { taskContainer } =
        require("../components/providers/replicaProbe") as typeof import("../components/providers/replicaProbe");
    const name = containerName(stack, "proxy");
    // The proxy's container, or on a swarm its service's task on this node.
    const proxy = values.orchestrator === "swarm" ? await taskContainer(name).catch(() => undefined) : name;
    if (proxy !== undefined && (await docker(["exec", proxy, "test", "-e", VERIFY_MARKER])).code === 0) {
        console.log(`recover: nginx in ${proxy} was still logging answers for an interrupted verification: stopped`);
        await docker(["exec", proxy, "sh", "-c", STOP_ANSWERS]);
    }
}

/** `npm run preview [-- --markdown]`: what `pulumi up` would do to traffic, in one line. */
async function preview(args: string[]): Promise<number> {
    const result = pulumi(["preview", "--json"]);
    let parsed: PreviewJson;
    try {
        parsed = JSON.parse(result.stdout) as PreviewJson;
    } catch {
        const why = (result.stderr || result.stdout)
            .trim()
            .split("\n")
            .filter((l) => l.trim() !== "");
        parsed = { diagnostics: [{ severity: "error", message: why.find((l) => /error:/.test(l)) ?? why.pop() }] };
    }
    const serving = await servingColorOf(config()).catch(() => undefined);
    const summary = summarizePreview(parsed, serving);
    if (args.includes("--markdown")) {
        const diff = pulumi(["preview", "--diff", "--non-interactive"]);
        const engine = engineOf(stackName(), config());
        console.log(renderMarkdown(summary, stackName(), `${diff.stdout}${diff.stderr}`, engine));
    } else {
        console.log(renderText(summary));
        console.log(`engine: ${engineOf(stackName(), config())}`);
    }
    return summary.ok ? 0 : 1;
}

async function main(): Promise<number> {
    const [command, ...args] = process.argv.slice(2);
    switch (command) {
        case "release":
            return release(args);
        case "promote":
            return promote();
        case "abort":
            return abort();
        case "rollback":
            return rollback();
        case "status":
            return status();
        case "recover":
            return recover();
        case "preview":
            return preview(args);
        case "maintenance":
            return maintenance(args[0]);
        default:
            throw new Error(
                "usage: cli.js release <image> [--canary N] | promote | abort | rollback | status | recover | " +
                    "preview [--markdown] | maintenance on|off",
            );
    }
}

main().then(
    (code) => process.exit(code),
    (err: Error) => {
        console.error(`error: ${err.message}`);
        process.exit(2);
    },
);
