// Traffic first, record second: a rollback (or an abort) moves nginx to a colour that already runs
// before its `pulumi up` starts. The standby answers its health check, config is written, then the
// app's record in nginx's config is rendered on the other colour and switched to through the same
// validated, confirmed switch the proxy switch's provider runs (components/runtime/nginxSwitch.ts).
// The update that follows renders the same config from config and finds nginx serving it.
import { Color } from "../../components/core/color";
import { NGINX_CONF_PATH, SWARM_CONF_PATH } from "../../components/core/nginx";
import { renderApps, readRecords, recordVersion, unrecordedApp } from "../../components/core/nginx/apps";
import { bundle, confFiles } from "../../components/core/nginx/install";
import { recordServing } from "../../components/core/trafficFirst";
import { describeProbe } from "../../components/runtime/probe";
import { currentConfig, installAndConfirm, NginxAt } from "../../components/runtime/nginxSwitch";
import { proxyContainerOf, proxyRoute } from "../../components/runtime/proxyShell";
import { describeEndpoint, probeEndpoint } from "../../components/runtime/reach";
import { lockHolder } from "../locks";
import { claimStack } from "../stackClaim";
import { putBackStackConfig, setStackConfig } from "../stackFiles";
import { colourRuns } from "./containers";
import { Stack, up } from "./stack";

/**
 * Moves every client of the app to `to` (a colour already running), writes `changes` to config,
 * then runs the update that records it. Nothing moves when the colour is not healthy, another
 * update holds the stack, or nginx's config does not hold the app's record (then the update alone
 * moves traffic, as before).
 */
export async function trafficFirst(
    stack: Stack,
    command: string,
    to: Color,
    changes: Record<string, string>,
): Promise<number> {
    const release = await claim(stack, command);
    try {
        const [, nginx] = await Promise.all([mustAnswer(stack, command, to), proxyFound.get(stack) ?? proxyAt(stack)]);
        // Read after the claim: another helper's flip may have just changed it.
        const current = await currentConfig(nginx);
        const records = readRecords(current);
        const own = (records.length > 0 ? records : [unrecordedApp(current)]).find((r) => r?.app === stack.appName);
        const stackFile = stack.name.split("/").pop()!;
        const before = own && setStackConfig(process.cwd(), stackFile, changes, stack.app);
        if (own === undefined || before === undefined) {
            console.log(`${command}: nginx's config holds no record of ${stack.appName} yet: the update moves traffic`);
            return await up(stack, changes);
        }
        const moved = recordServing(own, to);
        const others = records.filter((r) => r.app !== own.app);
        const text = renderApps([...others, moved], moved.edge.tls).text;
        const version = recordVersion(moved);
        try {
            const done = await installAndConfirm(nginx, `${command} to ${to}`, bundle(text, []), version);
            console.log(
                `${command}: traffic on ${to} (reload via ${done.reloadVia}; nginx answered it ${done.switchMs} ms after); recording it`,
            );
        } catch (err) {
            putBackStackConfig(process.cwd(), stackFile, before);
            throw err;
        }
        // Refused (another deployer took the lock meanwhile): traffic has moved all the same.
        const code = await up(stack, {}).catch((err: Error) => {
            console.error(`\n${command}: ${err.message.replace(/; nothing changed.*$/, "")}`);
            return 1;
        });
        if (code !== 0) {
            console.error(
                `\n${command}: traffic is on ${to} and config says so; the update that records it failed: ` +
                    `npm run recover records it`,
            );
        }
        return code;
    } finally {
        release();
    }
}

/** The claim on the stack: refused while another helper moves its traffic or a `pulumi up` holds its lock. */
async function claim(stack: Stack, command: string): Promise<() => void> {
    const release = claimStack(process.env.PULUMI_BACKEND_URL ?? "", stack.name, command);
    const holder = await lockHolder(stack.name).catch((err: Error) => {
        release();
        throw new Error(`${command} refused: ${err.message}; nothing moved`);
    });
    if (holder !== undefined) {
        release();
        throw new Error(
            `${command} refused: a pulumi update of ${stack.name} holds its lock (${holder}); nothing moved`,
        );
    }
    return release;
}

/** The colour answers its health endpoint now, or the command stops here, naming why. */
export async function mustAnswer(stack: Stack, command: string, color: Color): Promise<void> {
    const at = stack.colour(color);
    const health = await probeEndpoint(at, stack.settings.healthPath, 2000);
    if (health.status !== undefined && health.status >= 200 && health.status < 300) {
        return;
    }
    const runs = await colourRuns(stack, color);
    const why = runs.running
        ? `${color} colour is not healthy (${describeEndpoint(at, stack.settings.healthPath)}: ${describeProbe(health)})`
        : `${color} ${runs.text}, so traffic would go to a dead colour`;
    throw new Error(
        `${command} refused: the ${why}; nothing moved: release a good image instead (npm run release -- <image>)`,
    );
}

const proxyFound = new WeakMap<Stack, Promise<NginxAt>>();

/**
 * Starts finding the proxy's container and how to reach it (a `docker inspect`), so it runs while
 * the helper asks nginx what it serves; trafficFirst then needs not wait for it.
 */
export function findProxyAhead(stack: Stack): void {
    const found = proxyAt(stack);
    found.catch(() => undefined); // reported by trafficFirst, if it runs
    proxyFound.set(stack, found);
}

/** The proxy's container and how to reach it, as its switch does. */
async function proxyAt(stack: Stack): Promise<NginxAt> {
    const proxy = await proxyContainerOf({ proxyContainer: stack.containerName("proxy"), proxyIsService: stack.swarm });
    return {
        proxy,
        route: await proxyRoute(proxy, stack.nginx.from !== undefined),
        files: confFiles(stack.swarm ? SWARM_CONF_PATH : NGINX_CONF_PATH),
        at: stack.nginx,
        confirmTimeoutMs: 10000,
    };
}
