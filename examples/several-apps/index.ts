// Several blue/green apps behind one Proxy, routed by host name and path prefix. The apps come from
// the structured config key `apps`, one entry per app:
//   pulumi config set --path 'apps.web.liveColor' blue     (and blueImage, greenImage, bluePort, greenPort)
//   pulumi config set --path 'apps.api.hosts[0]' api.example.com
//   pulumi config set --path 'apps.api.pathPrefix' /v1
// Release one app: set its idle colour's image, flip its liveColor, pulumi up. The others, and
// nginx's container, are not touched.
// HTTPS (optional): the proxy's certificate, the default for every host,
//   pulumi config set tlsCertificate -- "$(cat proxy.crt)"; pulumi config set --secret tlsKey -- "$(cat proxy.key)"
// and an app's own for its hosts, served by SNI:
//   pulumi config set --path 'appTls.api.certificate' -- "$(cat api.crt)"
//   pulumi config set --secret --path 'appTls.api.key' -- "$(cat api.key)"
import * as pulumi from "@pulumi/pulumi";
import { App, Color, Proxy } from "bluegreen";

/** One app's entry under `apps`. */
interface AppConfig {
    readonly liveColor: Color;
    readonly blueImage: string;
    readonly greenImage: string;
    /** Preview ports on 127.0.0.1: each app needs its own two. */
    readonly bluePort: number;
    readonly greenPort: number;
    readonly hosts?: string[];
    readonly pathPrefix?: string;
    readonly stripPathPrefix?: boolean;
    readonly maintenance?: boolean;
    /** With HTTPS: this app's plain HTTP answered with a 301 to HTTPS (default: the proxy's tlsRedirect). */
    readonly tlsRedirect?: boolean;
}

const config = new pulumi.Config();
const stack = pulumi.getStack();
const publicPort = config.getNumber("publicPort") ?? 8090;
const apps = config.requireObject<Record<string, AppConfig>>("apps");

// Certificates and keys, as secrets: an app's own, by app name.
const appTls = config.getSecretObject<Record<string, { certificate: string; key: string }>>("appTls");
const tlsKey = config.getSecret("tlsKey");

// One nginx for every app (Docker objects `<name>-proxy`, `<name>-net`).
const proxy = new Proxy(`${stack}-edge`, {
    publicPort,
    httpsPort: publicPort + 1,
    image: config.get("proxyImage") ?? "nginx:1.28.0",
    ...(tlsKey !== undefined
        ? { tlsCertificate: config.require("tlsCertificate"), tlsKey, tlsRedirect: config.getBoolean("tlsRedirect") }
        : {}),
});

// Each app's two colours (`<stack>-<app>-blue`, `-green`) and the routes it claims on the proxy.
const deployed = Object.entries(apps).map(([name, app]) => {
    const own = appTls?.apply((all) => all[name]);
    const tls = own ? { tlsCertificate: own.apply((t) => t?.certificate), tlsKey: own.apply((t) => t?.key) } : {};
    return [name, new App(`${stack}-${name}`, { proxy, ...app, ...tls })] as const;
});

const each = <T>(of: (app: App) => pulumi.Output<T>) =>
    pulumi.all(Object.fromEntries(deployed.map(([name, app]) => [name, of(app)])));

export const urls = each((app) => app.url);
export const liveColors = each((app) => app.liveColor);
export const liveImages = each((app) => app.liveImage);
export const network = proxy.networkName;
