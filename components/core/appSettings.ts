// An app's settings: its two colours, health gate, release options. Pure: parsed from raw text
// (stack config, or an App's arguments as text) with one-line errors naming the setting.
import { Color } from "./color";
import { ConfigError } from "./configError";
import type { Orchestrator } from "./proxySettings";
import { validateHosts, validatePathPrefix } from "./routing";
import { SettingReader, Subject } from "./subject";
import {
    IMAGE_ALLOWED,
    RegistryLogins,
    validateColor,
    validateFraction,
    validateHealthPath,
    validateImage,
    validateInteger,
    validateMessage,
    validateRegistryAuth,
    validateSmokeTest,
    validateSwitch,
    validateVolumes,
    VolumeMountSetting,
} from "./validate";

export interface AppSettings {
    readonly liveColor: Color;
    readonly blueImage: string;
    readonly greenImage: string;
    /** Loopback preview ports of the colours (on a swarm, published by the proxy). */
    readonly bluePort: number;
    readonly greenPort: number;
    /** The port the app listens on inside its containers. */
    readonly appPort: number;
    readonly healthPath: string;
    readonly healthTimeoutSeconds: number;
    readonly healthIntervalMs: number;
    readonly healthyThreshold: number;
    readonly smokeTest?: string;
    /** Logins for registries the Docker client has no `docker login` for (a secret). */
    readonly registryAuth?: RegistryLogins;
    /** Named volumes both colours mount (orchestrator docker); fixed once the app exists. */
    readonly volumes: VolumeMountSetting[];
    /** Tasks per colour (swarm); always 1 with `docker`. */
    readonly replicas: number;
    /** Maintenance mode: nginx answers 503 for every path but the health and version endpoints. */
    readonly maintenance: MaintenanceSettings;
    /** 0-100: the sticky share of clients the idle colour serves as a canary (0: none). */
    readonly canaryPercent: number;
    /** Watching the newly served colour's answers after a switch or a canary (off when `seconds` is 0). */
    readonly verification: VerificationSettings;
    /** Which requests the app takes on a proxy shared with other apps. */
    readonly route: RouteSettings;
    /** With HTTPS, answer this app's plain HTTP with a 301 to HTTPS; undefined: as the proxy does. */
    readonly tlsRedirect?: boolean;
}

export interface RouteSettings {
    /** Exact host names and `*.` wildcards; none: the proxy's default app. */
    readonly hosts: string[];
    /** `/`, or whole segments like `/api`. */
    readonly pathPrefix: string;
    /** Take the prefix off before the app sees the path (`/api/users` arrives as `/users`). */
    readonly stripPathPrefix: boolean;
}

export interface VerificationSettings {
    /** `verifySeconds`: how long to watch; 0 turns verification off. */
    readonly seconds: number;
    /** `maxErrorRate`: the largest share of 5xx answers (0 to 1) that passes. */
    readonly maxErrorRate: number;
    /** `minRequests`: fewer answers than this in the window pass with a warning, not judged. */
    readonly minRequests: number;
    /** `maxP99Ms`: the slowest 99th-percentile answer time that passes; unset means not checked. */
    readonly maxP99Ms?: number;
}

export interface MaintenanceSettings {
    readonly on: boolean;
    /** The 503's body (allow-listed characters: it is spliced into nginx's config). */
    readonly message: string;
}

/** Replicas per colour on a swarm: enough for a fleet, few enough for one gate to probe each. */
export const MAX_REPLICAS = 50;

/** Defaults of the app's optional settings, by argument name. */
export const APP_DEFAULTS = {
    bluePort: 8081,
    greenPort: 8082,
    appPort: 8080,
    healthPath: "/health",
    healthTimeoutSeconds: 60,
    // Three consecutive 2xx on fresh connections, 50 ms apart: the colour answers steadily, not
    // once by luck (kamal-proxy and Docker's own health checks take one success), and the gate
    // costs 0.1 s once it answers; a release waits for it, and so does a rollback, so every 50 ms
    // is wall time users see. Longer spacing proves little more for a container that already
    // answers; until the first answer the gate retries every 50 ms too (runtime/probe.ts). Raise the
    // interval and the threshold for apps that answer before they are ready.
    healthIntervalMs: 50,
    healthyThreshold: 3,
    replicas: 1,
    maintenance: "off",
    maintenanceMessage: "Down for maintenance, back soon.",
    canaryPercent: 0,
    verifySeconds: 0,
    maxErrorRate: 0.01,
    minRequests: 20,
    hosts: "",
    pathPrefix: "/",
    stripPathPrefix: "on",
} as const;

/** What an app's settings are checked against: the proxy it runs behind. */
export interface ProxyFacts {
    readonly orchestrator: Orchestrator;
    readonly publicPort: number;
    readonly httpsPort: number;
    /** How the proxy's settings are named in messages. */
    readonly subject: Subject;
}

/** Validates an app's settings; throws a ConfigError for the first bad one. */
export function parseAppSettings(read: SettingReader, subject: Subject, proxy: ProxyFacts): AppSettings {
    const n = subject.name;
    const orDefault = (key: keyof typeof APP_DEFAULTS): string => read(key) ?? String(APP_DEFAULTS[key]);
    const port = (key: "bluePort" | "greenPort" | "appPort"): number =>
        validateInteger(n(key), orDefault(key), 1, 65535);
    const required = (key: string, allowed: string): string => {
        const value = read(key);
        if (value === undefined) {
            const hint = subject.fromConfig ? ` (pulumi config set ${subject.configKey?.(key) ?? key} <value>)` : "";
            throw new ConfigError(`${n(key)} is not set: it must be ${allowed}${hint}`);
        }
        return value;
    };
    const smokeTest = read("smokeTest");
    const registryAuth = read("registryAuth");
    const redirect = read("tlsRedirect");
    const settings: AppSettings = {
        liveColor: validateColor(n("liveColor"), required("liveColor", "one of: blue, green")),
        blueImage: validateImage(n("blueImage"), required("blueImage", IMAGE_ALLOWED)),
        greenImage: validateImage(n("greenImage"), required("greenImage", IMAGE_ALLOWED)),
        bluePort: port("bluePort"),
        greenPort: port("greenPort"),
        appPort: port("appPort"),
        healthPath: validateHealthPath(n("healthPath"), orDefault("healthPath")),
        healthTimeoutSeconds: validateInteger(n("healthTimeoutSeconds"), orDefault("healthTimeoutSeconds"), 1, 3600),
        healthIntervalMs: validateInteger(n("healthIntervalMs"), orDefault("healthIntervalMs"), 50, 60000),
        healthyThreshold: validateInteger(n("healthyThreshold"), orDefault("healthyThreshold"), 1, 100),
        // Empty means unset: Pulumi.yaml declares "" as the default so the key is optional.
        smokeTest:
            smokeTest === undefined || smokeTest === "" ? undefined : validateSmokeTest(n("smokeTest"), smokeTest),
        registryAuth:
            registryAuth === undefined || registryAuth === ""
                ? undefined
                : validateRegistryAuth(
                      n("registryAuth"),
                      registryAuth,
                      subject.fromConfig ? ", set with --secret" : "",
                  ),
        replicas: parseReplicas(read, subject, proxy),
        volumes: parseVolumes(read, subject, proxy),
        maintenance: {
            on: validateSwitch(n("maintenance"), orDefault("maintenance")),
            message: validateMessage(n("maintenanceMessage"), orDefault("maintenanceMessage")),
        },
        canaryPercent: validateInteger(n("canaryPercent"), orDefault("canaryPercent"), 0, 100),
        verification: parseVerification(read, subject),
        route: parseRoute(read, subject, proxy),
        ...(redirect === undefined || redirect === ""
            ? {}
            : { tlsRedirect: validateSwitch(n("tlsRedirect"), redirect) }),
    };
    assertDistinctPorts(settings, subject, proxy);
    return settings;
}

/** Replicas: 1 to MAX_REPLICAS on a swarm; a single Docker engine runs one container per colour. */
function parseReplicas(read: SettingReader, subject: Subject, proxy: ProxyFacts): number {
    const name = subject.name("replicas");
    const replicas = validateInteger(name, read("replicas") ?? String(APP_DEFAULTS.replicas), 1, MAX_REPLICAS);
    if (proxy.orchestrator === "docker" && replicas !== 1) {
        const hint = subject.fromConfig ? " (pulumi config set orchestrator swarm)" : "";
        throw new ConfigError(
            `${name} must be 1 with orchestrator docker (got ${replicas}); ` +
                `more replicas per colour need orchestrator swarm${hint}`,
        );
    }
    return replicas;
}

/** Volumes: a named volume lives on one node, so a swarm app (replicas anywhere) has none. */
function parseVolumes(read: SettingReader, subject: Subject, proxy: ProxyFacts): VolumeMountSetting[] {
    const value = read("volumes") ?? "";
    const volumes = value === "" ? [] : validateVolumes(subject.name("volumes"), value);
    if (volumes.length > 0 && proxy.orchestrator !== "docker") {
        throw new ConfigError(
            `${subject.name("volumes")} needs orchestrator docker: a named volume lives on one node, and a ` +
                `swarm runs replicas on any`,
        );
    }
    return volumes;
}

/** Hosts and a path prefix: routing among several apps (one Docker engine for now). */
function parseRoute(read: SettingReader, subject: Subject, proxy: ProxyFacts): RouteSettings {
    const n = subject.name;
    const hostsText = read("hosts") ?? APP_DEFAULTS.hosts;
    const route: RouteSettings = {
        hosts: validateHosts(n("hosts"), hostsText === "" ? [] : hostsText.split(",")),
        pathPrefix: validatePathPrefix(n("pathPrefix"), read("pathPrefix") ?? APP_DEFAULTS.pathPrefix),
        stripPathPrefix: validateSwitch(n("stripPathPrefix"), read("stripPathPrefix") ?? APP_DEFAULTS.stripPathPrefix),
    };
    if (claimsRoute(route) && proxy.orchestrator !== "docker") {
        throw new ConfigError(
            `${n(route.hosts.length > 0 ? "hosts" : "pathPrefix")} needs orchestrator docker: apps sharing a ` +
                `swarm's proxy are not supported yet`,
        );
    }
    return route;
}

/** Whether the app claims anything narrower than every request (then it shares its proxy). */
export function claimsRoute(route: RouteSettings): boolean {
    return route.hosts.length > 0 || route.pathPrefix !== "/";
}

function parseVerification(read: SettingReader, subject: Subject): VerificationSettings {
    const n = subject.name;
    const orDefault = (key: "verifySeconds" | "maxErrorRate" | "minRequests") => read(key) ?? String(APP_DEFAULTS[key]);
    const p99 = read("maxP99Ms") ?? "";
    return {
        seconds: validateInteger(n("verifySeconds"), orDefault("verifySeconds"), 0, 3600),
        maxErrorRate: validateFraction(n("maxErrorRate"), orDefault("maxErrorRate")),
        minRequests: validateInteger(n("minRequests"), orDefault("minRequests"), 1, 1000000),
        ...(p99 === "" ? {} : { maxP99Ms: validateInteger(n("maxP99Ms"), p99, 1, 600000) }),
    };
}

/** The proxy's two ports and the app's two preview ports must all differ. */
function assertDistinctPorts(s: AppSettings, subject: Subject, proxy: ProxyFacts): void {
    const ports: [string, number][] = [
        [proxy.subject.name("publicPort"), proxy.publicPort],
        [subject.name("bluePort"), s.bluePort],
        [subject.name("greenPort"), s.greenPort],
        [proxy.subject.name("httpsPort"), proxy.httpsPort],
    ];
    for (let i = 0; i < ports.length; i++) {
        for (let j = i + 1; j < ports.length; j++) {
            if (ports[i][1] === ports[j][1]) {
                throw new ConfigError(
                    `${ports[j][0]} must differ from ${ports[i][0]} (both are ${ports[i][1]}); ` +
                        `publicPort, httpsPort, bluePort and greenPort must be four different ports`,
                );
            }
        }
    }
}

export function imageOf(s: Pick<AppSettings, "blueImage" | "greenImage">, color: Color): string {
    return color === "blue" ? s.blueImage : s.greenImage;
}

export function portOf(s: Pick<AppSettings, "bluePort" | "greenPort">, color: Color): number {
    return color === "blue" ? s.bluePort : s.greenPort;
}
