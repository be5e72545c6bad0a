// The stack a helper acts on: its name, its settings (through the program's own parser), where
// nginx and the colours answer, and the one `pulumi up` that saves config changes with the update.
import { Color } from "../../components/core/color";
import { parseSettings, Settings } from "../../components/core/config";
import { containerName } from "../../components/core/names";
import { colourEndpoint, Endpoint, proxyEndpoint, Site } from "../../components/core/site";
import { served } from "../../components/runtime/reach";
import { findSite } from "../../components/runtime/engineAddress";
import { closeAgents } from "../../components/runtime/probeAgent";
import { run, RunResult } from "../../components/runtime/process";
import { selectedStack, stackConfig } from "../stackFiles";

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
    /** The stack's settings as the program reads them (secrets aside: the helpers never need them). */
    readonly settings: Settings;
    /** The keys set in the stack's config: a helper adds a key only when it must. */
    readonly configured: Readonly<Record<string, string>>;
    readonly site: Site;
    readonly swarm: boolean;
    /** nginx's public listener: this machine's 127.0.0.1, or on a remote engine from inside the proxy. */
    readonly nginx: Endpoint;
    /** Where a colour's health endpoint answers, bypassing nginx. */
    colour(color: Color): Endpoint;
    /** The proxy's container (or service) and a colour's: `<stack>-proxy`, `<stack>-blue`. */
    containerName(role: Color | "proxy" | "acme"): string;
}

/** The stack in the working directory, its config validated by the program's parser. */
export async function currentStack(): Promise<Stack> {
    const name = await stackName();
    const values = await configValues(name);
    const settings = parseSettings((key) => values[key], { secretsUnread: true });
    const site = findSite();
    const swarm = settings.orchestrator === "swarm";
    // The stack program names its Proxy and App after the stack (index.ts).
    return {
        name,
        settings,
        configured: values,
        site,
        swarm,
        nginx: proxyEndpoint(site, name, settings.publicPort, swarm),
        colour: (color) =>
            colourEndpoint(
                site,
                { app: name, proxy: name },
                color,
                { hostPort: color === "blue" ? settings.bluePort : settings.greenPort, appPort: settings.appPort },
                swarm,
            ),
        containerName: (role) => containerName(name, role),
    };
}

/** What nginx serves: the live colour and any canary share, or undefined when no proxy answers. */
export function serving(stack: Stack): ReturnType<typeof served> {
    return served(stack.nginx);
}

/** Whether config's liveColor and canaryPercent say what nginx serves (a failed release leaves them ahead). */
export function configMatches(s: Settings, now: NonNullable<Awaited<ReturnType<typeof served>>>): boolean {
    return s.liveColor === now.color && s.canaryPercent === (now.canary?.percent ?? 0);
}

/**
 * One `pulumi up` that also saves the config changes (`-c` writes Pulumi.<stack>.yaml first, as
 * `pulumi config set` would). No separate preview: the release guard's check and every gate run in
 * the update itself, and `npm run preview` shows the plan beforehand.
 */
export async function up(changes: Record<string, string> = {}): Promise<number> {
    const args = ["up", "--yes", "--skip-preview", "--non-interactive"];
    for (const [key, value] of Object.entries(changes)) {
        args.push("--config", `bluegreen:${key}=${value}`);
    }
    console.log(`\n$ pulumi ${args.join(" ")}`);
    closeAgents(); // the probes of this process are done: free their SSH sessions for the update's
    return (await pulumi(args, true)).code;
}
