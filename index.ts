// The stack program: reads this stack's config (Pulumi.<stack>.yaml, keys `bluegreen:<key>`) and
// builds one Proxy named after the stack and the stack's own App, named after it too (Docker objects
// `<stack>-proxy`, `<stack>-blue`, `<stack>-green`, `<stack>-net`), plus one App `<stack>-<name>`
// for each entry of the `apps` key. Your own program uses the same API (components/index.ts,
// examples/typescript/, examples/several-apps/).
import * as pulumi from "./components/sdk";
import { App, Proxy } from "./components";
import { previousApp, previousProxyChildren } from "./components/program/previousLayout";
import { readStackConfig } from "./components/program/stackConfig";

const { stack, settings, proxy: proxyArgs, app: appArgs, apps: appsArgs } = readStackConfig();

// Stacks deployed before the Proxy/App API keep every container: see previousLayout.ts.
const proxy = new Proxy(stack, proxyArgs, { transformations: [previousProxyChildren(stack)] });
const app = appArgs ? new App(stack, { proxy, ...appArgs }, { aliases: previousApp() }) : undefined;
const apps = appsArgs.map(([name, args]) => [name, new App(`${stack}-${name}`, { proxy, ...args })] as const);
const https = settings.proxy.tls !== undefined;

/** What the stack says of one app. HTTPS outputs only when HTTPS is on: an undefined output is a warning on every update. */
function outputsOf(a: App) {
    return {
        liveColor: a.liveColor,
        liveImage: a.liveImage,
        standbyColor: a.standbyColor,
        standbyImage: a.standbyImage,
        url: a.url,
        blueUrl: a.blueUrl,
        greenUrl: a.greenUrl,
        proxyConfigVersion: a.proxyConfigVersion,
        ...(https ? { httpsUrl: a.httpsUrl, certificate: a.certificate } : {}),
        maintenance: a.maintenance,
        canary: a.canary,
        verification: a.verification,
        engine: a.engine,
        blueDigest: a.digests.apply((d) => d.blue),
        greenDigest: a.digests.apply((d) => d.green),
    };
}

export = {
    ...(app ? outputsOf(app) : { engine: proxy.engine, url: proxy.url }),
    ...(apps.length > 0
        ? { apps: pulumi.output(Object.fromEntries(apps.map(([name, a]) => [name, outputsOf(a)]))) }
        : {}),
};
