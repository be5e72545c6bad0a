// Several blue/green apps behind one Proxy, routed by host name and path prefix. The apps come from
// the structured config key `apps`, one entry per app:
//   pulumi config set --path 'apps.web.liveColor' blue     (and blueImage, greenImage, bluePort, greenPort)
//   pulumi config set --path 'apps.api.hosts[0]' api.example.com
//   pulumi config set --path 'apps.api.pathPrefix' /v1
// Release one app: set its idle colour's image, flip its liveColor, pulumi up. The others, and
// nginx's container, are not touched.
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
}

const config = new pulumi.Config();
const stack = pulumi.getStack();
const publicPort = config.getNumber("publicPort") ?? 8090;
const apps = config.requireObject<Record<string, AppConfig>>("apps");

// One nginx for every app (Docker objects `<name>-proxy`, `<name>-net`).
const proxy = new Proxy(`${stack}-edge`, {
    publicPort,
    httpsPort: publicPort + 1,
    image: config.get("proxyImage") ?? "nginx:1.28.0",
});

// Each app's two colours (`<stack>-<app>-blue`, `-green`) and the routes it claims on the proxy.
const deployed = Object.entries(apps).map(
    ([name, app]) => [name, new App(`${stack}-${name}`, { proxy, ...app })] as const,
);

const each = <T>(of: (app: App) => pulumi.Output<T>) =>
    pulumi.all(Object.fromEntries(deployed.map(([name, app]) => [name, of(app)])));

export const urls = each((app) => app.url);
export const liveColors = each((app) => app.liveColor);
export const liveImages = each((app) => app.liveImage);
export const network = proxy.networkName;
