// The stack a helper acts on: its name, its settings (through the program's own parser), where
// nginx and the colours answer, and the one `pulumi up` that saves config changes with the update.
import * as fs from "fs";
import { Color } from "../../components/core/color";
import { claimsRoute } from "../../components/core/appSettings";
import { parseStack, Settings } from "../../components/core/config";
import { containerName } from "../../components/core/names";
import { appEndpoint, colourEndpoint, Endpoint, proxyEndpoint, Site } from "../../components/core/site";
import { served } from "../../components/runtime/reach";
import { findSite } from "../../components/runtime/engineAddress";
import { closeAgents } from "../../components/runtime/probeAgent";
import { run, RunResult } from "../../components/runtime/process";
import { lockedMessage } from "../locks";
import { wrongPassphrase } from "../passphrase";
import { projectName, putBackStackConfig, selectedStack, stackConfig } from "../stackFiles";

/** Runs the pulumi CLI on the stack (PULUMI_STACK when set); with `inherit` its output goes to the terminal. */
export async function pulumi(args: string[], inherit = false): Promise<RunResult> {
    const stack = process.env.PULUMI_STACK ? ["--stack", process.env.PULUMI_STACK] : [];
    const result = await run("pulumi", [...args, ...stack], { inherit, timeoutMs: 3600000 });
    if (result.code === 127) {
        throw new Error(`cannot run pulumi (${result.error}); run make setup and . scripts/env.sh`);
    }
    return result;
}

export async function pulumiOk(args: string[]): Promise<string> {
    const result = await pulumi(args);
    if (result.code !== 0) {
        throw new Error(`pulumi ${args.join(" ")} failed: ${result.stderr.trim().split("\n").pop()}`);
    }
    return result.stdout;
}

/** The stack's name: PULUMI_STACK, else the one `pulumi stack select` saved, else the CLI's answer. */
export async function stackName(): Promise<string> {
    return (
        process.env.PULUMI_STACK ||
        selectedStack(process.cwd(), process.env.PULUMI_HOME) ||
        (await pulumiOk(["stack", "--show-name"])).trim()
    );
}

/** The stack's plain config values (`bluegreen:` keys), from Pulumi.<stack>.yaml when it is there (no CLI start). */
async function configValues(stack: string): Promise<Record<string, string>> {
    const fromFile = stackConfig(process.cwd(), stack.split("/").pop()!);
    if (fromFile !== undefined) {
        return fromFile;
    }
    const raw = JSON.parse(await pulumiOk(["config", "--json"])) as Record<
        string,
        { value?: string; secret?: boolean }
    >;
    const values: Record<string, string> = {};
    for (const [key, entry] of Object.entries(raw)) {
        if (entry.value !== undefined && !entry.secret) {
            values[key.replace(/^bluegreen:/, "")] = entry.value;
        }
    }
    return values;
}

export interface Stack {
    readonly name: string;
    /** The app a helper acts on: one of `apps` (`--app NAME`), or undefined for the stack's own. */
    readonly app?: string;
    /** The App's name in the program: the stack's for its own app, `<stack>-<app>` for one of `apps`. */
    readonly appName: string;
    /** The names under `apps`, for messages and `npm run status`. */
    readonly apps: readonly string[];
    /** The app's settings and the proxy's, as the program reads them (secrets aside: the helpers never need them). */
    readonly settings: Settings;
    /** The app's keys set in the stack's config: a helper adds a key only when it must. */
    readonly configured: Readonly<Record<string, string>>;
    /** The key `pulumi up --config` sets for one of the app's keys (`apps.api.liveColor` for an app of `apps`). */
    configKey(key: string): string;
    readonly site: Site;
    readonly swarm: boolean;
    /** nginx's public listener: this machine's 127.0.0.1, or on a remote engine from inside the proxy. */
    readonly nginx: Endpoint;
    /** Where a colour's health endpoint answers, bypassing nginx. */
    colour(color: Color): Endpoint;
    /** The proxy's container (or service) and a colour's: `<stack>-proxy`, `<stack>-blue`. */
    containerName(role: Color | "proxy" | "acme"): string;
    /** The URN of the app's `App` when the stack has several apps (a helper's update targets it), else undefined. */
    readonly appUrn?: string;
}

/**
 * The stack in the working directory and one of its apps (`chosenApp`, a name under `apps`;
 * undefined: the stack's own), its config validated by the program's parser.
 */
export async function currentStack(chosenApp?: string, options: { anyApp?: boolean } = {}): Promise<Stack> {
    const name = await stackName();
    const values = await configValues(name);
    const stack = parseStack((key) => values[key], { secretsUnread: true });
    const apps = [...stack.apps.keys()];
    // A helper that acts on the whole stack (recover, preview) takes any app when it has none of its own.
    const app = chosenApp === undefined && stack.main === undefined && options.anyApp ? apps[0] : chosenApp;
    const chosen = app === undefined ? stack.main : stack.apps.get(app);
    if (chosen === undefined) {
        throw new Error(
            app === undefined
                ? `the stack ${name} has no app of its own, only apps: ${apps.join(", ")}; name one with --app NAME`
                : `the stack ${name} has no app ${JSON.stringify(app)} under bluegreen:apps` +
                      ` (${apps.length > 0 ? `it has: ${apps.join(", ")}` : "it has none"})`,
        );
    }
    const settings: Settings = { ...stack.proxy, ...chosen };
    const site = findSite();
    const swarm = settings.orchestrator === "swarm";
    // The stack program names its Proxy and its own App after the stack, an app of `apps` <stack>-<name> (index.ts).
    const appName = app === undefined ? name : `${name}-${app}`;
    const several = (stack.main ? 1 : 0) + stack.apps.size > 1;
    const shared = several || claimsRoute(settings.route);
    const appValues = app === undefined ? values : appConfigured(values.apps, app);
    return {
        name,
        ...(app !== undefined ? { app } : {}),
        appName,
        apps,
        settings,
        configured: appValues,
        configKey: (key) => (app === undefined ? key : `apps.${app}.${key}`),
        site,
        swarm,
        nginx: appEndpoint(proxyEndpoint(site, name, settings.publicPort, swarm), shared ? settings.route : undefined),
        colour: (color) =>
            colourEndpoint(
                site,
                { app: appName, proxy: name },
                color,
                { hostPort: color === "blue" ? settings.bluePort : settings.greenPort, appPort: settings.appPort },
                swarm,
            ),
        containerName: (role) => containerName(role === "proxy" || role === "acme" ? name : appName, role),
        ...(several ? { appUrn: appUrn(name, appName) } : {}),
    };
}

/** The URN the stack program gives the App `appName` (index.ts: no parent, type bluegreen:index:App). */
function appUrn(stack: string, appName: string): string {
    return `urn:pulumi:${stack.split("/").pop()}::${projectName(process.cwd())}::bluegreen:index:App::${appName}`;
}

/** The keys set for one app of `apps` (the JSON text of the `apps` key), as text. */
function appConfigured(apps: string | undefined, app: string): Record<string, string> {
    const entry = (JSON.parse(apps ?? "{}") as Record<string, Record<string, unknown>>)[app] ?? {};
    return Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, String(value)]));
}

const servedOnce = new WeakMap<Stack, ReturnType<typeof served>>();

/** What nginx serves: the live colour and any canary share, or undefined when no proxy answers (probed once per helper run). */
export function serving(stack: Stack): ReturnType<typeof served> {
    let answer = servedOnce.get(stack);
    if (answer === undefined) {
        answer = served(stack.nginx);
        servedOnce.set(stack, answer);
    }
    return answer;
}

/** Whether config's liveColor and canaryPercent say what nginx serves (a failed release leaves them ahead). */
export function configMatches(s: Settings, now: NonNullable<Awaited<ReturnType<typeof served>>>): boolean {
    return s.liveColor === now.color && s.canaryPercent === (now.canary?.percent ?? 0);
}

/**
 * One `pulumi up` that also saves the config changes (`-c` writes Pulumi.<stack>.yaml first, as
 * `pulumi config set` would). No separate preview: the release guard's check and every gate run in
 * the update itself, and `npm run preview` shows the plan beforehand. With `scope` "app" (every
 * helper but recover) on a stack of several apps whose app nginx serves already, the update targets
 * that app and what depends on it.
 */
export async function up(
    stack: Stack,
    changes: Record<string, string> = {},
    scope: "app" | "stack" = "app",
): Promise<number> {
    const args = ["up", "--yes", "--skip-preview", "--non-interactive"];
    if (scope === "app" && stack.appUrn !== undefined && (await serving(stack)) !== undefined) {
        // The engine skips Check and Diff of every untargeted resource: without this, each other app
        // costs about 0.3 s of every release (docs/benchmarks.md). A new app is not served yet, so
        // its first update (and recover's) runs untargeted.
        args.push("--target", stack.appUrn, "--target-dependents");
        console.log(
            `only ${stack.app ?? "the stack's own app"} is updated; a plain pulumi up applies any other app's pending change`,
        );
    }
    if (stack.app !== undefined && Object.keys(changes).length > 0) {
        // An app of `apps`: its keys are paths into the `apps` object. `pulumi up --config-path`
        // replaces the whole object with the keys given (CLI 3.276), so `config set-all` merges them first.
        const set = ["config", "set-all", "--path"];
        for (const [key, value] of Object.entries(changes)) {
            set.push("--plaintext", `bluegreen:${stack.configKey(key)}=${value}`);
        }
        console.log(`\n$ pulumi ${set.join(" ")}`);
        const saved = await pulumi(set, true);
        if (saved.code !== 0) {
            return saved.code;
        }
    } else {
        for (const [key, value] of Object.entries(changes)) {
            args.push("--config", `bluegreen:${key}=${value}`);
        }
    }
    // Another deployer (a CI runner, a laptop) holding the stack: refuse before config changes.
    const locked = await lockedMessage(stack.name);
    if (locked !== undefined) {
        throw new Error(locked);
    }
    const file = stack.name.split("/").pop()!;
    const configBefore = fs.existsSync(`Pulumi.${file}.yaml`)
        ? fs.readFileSync(`Pulumi.${file}.yaml`, "utf8")
        : undefined;
    console.log(`\n$ pulumi ${args.join(" ")}`);
    closeAgents(); // the probes of this process are done: free their SSH sessions for the update's
    const code = (await pulumi(args, true)).code;
    if (code !== 0) {
        // Refused before it began: another deployer took the lock first (both started together),
        // or the passphrase is wrong. Either way nothing ran: the config goes back too.
        const refused =
            (await lockedMessage(stack.name).catch(() => undefined)) ?? wrongPassphrase(process.cwd(), file);
        if (refused !== undefined) {
            putBackOwnChanges(file, changes, configBefore);
            throw new Error(refused);
        }
    }
    return code;
}

/** Puts back the stack file `pulumi up --config` wrote, as long as it still holds this helper's values. */
function putBackOwnChanges(file: string, changes: Record<string, string>, configBefore?: string): void {
    const now = stackConfig(process.cwd(), file) ?? {};
    if (configBefore !== undefined && Object.entries(changes).every(([key, value]) => now[key] === value)) {
        putBackStackConfig(process.cwd(), file, configBefore);
    }
}
