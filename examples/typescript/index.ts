// A Pulumi program of your own with a blue/green app in it. Besides bluegreen's Proxy and App it
// declares a Docker volume the app mounts. Release: set the idle colour's image and flip liveColor
// (pulumi config set greenImage app:2 && pulumi config set liveColor green && pulumi up).
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { App, Color, Proxy } from "bluegreen";

const config = new pulumi.Config();
const stack = pulumi.getStack();
const publicPort = config.getNumber("publicPort") ?? 8090;

// The program's own resource: files the app keeps, whichever colour serves.
const files = new docker.Volume("files", { name: `${stack}-files` });

// nginx on a network of its own (Docker objects `<name>-proxy`, `<name>-net`).
const proxy = new Proxy(`${stack}-edge`, {
    publicPort,
    httpsPort: publicPort + 3,
    image: config.get("proxyImage") ?? "nginx:1.28.0",
});

// The app's two colours (`<name>-blue`, `<name>-green`), both mounting the volume.
const app = new App(`${stack}-web`, {
    proxy,
    liveColor: config.require("liveColor") as Color,
    blueImage: config.require("blueImage"),
    greenImage: config.require("greenImage"),
    bluePort: publicPort + 1,
    greenPort: publicPort + 2,
    volumes: [{ name: files.name, path: "/data" }],
});

export const url = app.url;
export const liveColor = app.liveColor;
export const liveImage = app.liveImage;
export const standbyColor = app.standbyColor;
export const network = proxy.networkName;
export const engine = app.engine;
