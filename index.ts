// The stack program: reads this stack's config (Pulumi.<stack>.yaml, keys `bluegreen:<key>`) and
// builds one Proxy and one App, both named after the stack (Docker objects `<stack>-proxy`,
// `<stack>-blue`, `<stack>-green`, `<stack>-net`). Your own program uses the same API
// (components/index.ts, examples/typescript/).
import { App, Proxy } from "./components";
import { previousApp, previousProxyChildren } from "./components/program/previousLayout";
import { readStackConfig } from "./components/program/stackConfig";

const { stack, settings, proxy: proxyArgs, app: appArgs } = readStackConfig();

// Stacks deployed before the Proxy/App API keep every container: see previousLayout.ts.
const proxy = new Proxy(stack, proxyArgs, { transformations: [previousProxyChildren(stack)] });
const app = new App(stack, { proxy, ...appArgs }, { aliases: previousApp() });

// HTTPS outputs only when HTTPS is on: an undefined stack output is a warning on every update.
export = {
    liveColor: app.liveColor,
    liveImage: app.liveImage,
    standbyColor: app.standbyColor,
    standbyImage: app.standbyImage,
    url: app.url,
    blueUrl: app.blueUrl,
    greenUrl: app.greenUrl,
    proxyConfigVersion: app.proxyConfigVersion,
    ...(settings.tls ? { httpsUrl: app.httpsUrl, certificate: app.certificate } : {}),
    maintenance: app.maintenance,
    canary: app.canary,
    verification: app.verification,
    engine: app.engine,
    blueDigest: app.digests.apply((d) => d.blue),
    greenDigest: app.digests.apply((d) => d.green),
};
