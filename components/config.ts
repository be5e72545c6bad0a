// Stack config -> validated settings. Pure: no Pulumi, no I/O, so every rule has a plain test.
// Every value that reaches nginx or Docker passes an allow-list here first.
import { ConfigError } from "./configError";
import { parseChain, TlsMaterial, validateTls } from "./tls";

export { ConfigError };

export type Color = "blue" | "green";
export const COLORS: readonly Color[] = ["blue", "green"];

/** The validated settings of one stack. */
export interface Settings {
    readonly liveColor: Color;
    readonly blueImage: string;
    readonly greenImage: string;
    readonly publicPort: number;
    readonly bluePort: number;
    readonly greenPort: number;
    readonly appPort: number;
    readonly healthPath: string;
    readonly healthTimeoutSeconds: number;
    readonly healthIntervalMs: number;
    readonly healthyThreshold: number;
    readonly proxyImage: string;
    readonly smokeTest?: string;
    /** Which engine maps containers to resources; `auto` is resolved by index.ts (see chooseEngine). */
    readonly engine: EngineSetting;
    /** Logins for registries the Docker client has no `docker login` for (a secret). */
    readonly registryAuth?: Record<string, { readonly username: string; readonly password: string }>;
    /** Where colours run: containers on one Docker engine, or services on a Docker Swarm. */
    readonly orchestrator: Orchestrator;
    /** Tasks per colour (swarm); always 1 with `docker`. */
    readonly replicas: number;
    /** The proxy's HTTPS port, published from its creation so turning TLS on never recreates it. */
    readonly httpsPort: number;
    /** HTTPS at the proxy; undefined when `tlsCertificate` is unset (plain HTTP only). */
    readonly tls?: TlsSettings;
    /** Maintenance mode: nginx answers 503 for every path but the health and version endpoints. */
    readonly maintenance: MaintenanceSettings;
    /** 0-100: the sticky share of clients the idle colour serves as a canary (0: none). */
    readonly canaryPercent: number;
    /** Watching the newly served colour's answers after a switch or a canary (off when `seconds` is 0). */
    readonly verification: VerificationSettings;
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

export interface TlsSettings {
    /** The validated chain and key from config (the key is a secret: never logged, never an output). */
    readonly material?: TlsMaterial;
    /** Or: certificates from an ACME directory, obtained and renewed by an agent beside the proxy. */
    readonly acme?: AcmeSettings;
    /** Names the certificate must cover (`tlsHostnames`); empty means not checked (config only). */
    readonly hostnames: string[];
    /** Answer plain HTTP with a 301 to HTTPS (but the ACME challenge and version paths). */
    readonly redirect: boolean;
}

export interface AcmeSettings {
    /** The account's contact (`tlsAcmeEmail`). */
    readonly email: string;
    /** The directory URL (`tlsAcmeDirectory`, Let's Encrypt's by default). */
    readonly directory: string;
    /** PEM roots the directory's own HTTPS chains to, for a private ACME server (`tlsAcmeDirectoryCa`). */
    readonly directoryCa?: string;
    /** The agent's image (`acmeImage`). */
    readonly image: string;
}

export interface MaintenanceSettings {
    readonly on: boolean;
    /** The 503's body (allow-listed characters: it is spliced into nginx's config). */
    readonly message: string;
}

export type Orchestrator = "docker" | "swarm";
export const ORCHESTRATORS: readonly Orchestrator[] = ["docker", "swarm"];
/** Replicas per colour on a swarm: enough for a fleet, few enough for one gate to probe each. */
export const MAX_REPLICAS = 50;

export type EngineSetting = "auto" | "docker-cli" | "docker-provider";
export const ENGINE_SETTINGS: readonly EngineSetting[] = ["auto", "docker-cli", "docker-provider"];

/** Defaults for every optional key; `Pulumi.yaml` declares the same values. */
export const DEFAULTS = {
    publicPort: 8080,
    bluePort: 8081,
    greenPort: 8082,
    appPort: 8080,
    healthPath: "/health",
    healthTimeoutSeconds: 60,
    // Three consecutive 2xx on fresh connections, 50 ms apart: the colour answers steadily, not
    // once by luck (kamal-proxy and Docker's own health checks take one success), and the gate
    // costs 0.1 s once it answers; a release waits for it, and so does a rollback, so every 50 ms
    // is wall time users see. Longer spacing proves little more for a container that already
    // answers; until the first answer the gate retries every 50 ms too (healthCheck.ts). Raise the
    // interval and the threshold for apps that answer before they are ready.
    healthIntervalMs: 50,
    healthyThreshold: 3,
    // The official image, pinned, for users with a registry (>= 1.27.4 for keepalive_min_timeout).
    proxyImage: "nginx:1.28.0",
    engine: "auto",
    orchestrator: "docker",
    replicas: 1,
    httpsPort: 8443,
    tlsRedirect: "on",
    maintenance: "off",
    maintenanceMessage: "Down for maintenance, back soon.",
    tlsAcmeDirectory: "https://acme-v02.api.letsencrypt.org/directory",
    canaryPercent: 0,
    verifySeconds: 0,
    maxErrorRate: 0.01,
    minRequests: 20,
    // Built by make setup from images/acme (no registry has it).
    acmeImage: "bluegreen-acme:local",
} as const;

const NAMESPACE = "bluegreen";
const MAX_SHOWN = 40;

/** Shows a rejected value on one line, however hostile: JSON-escaped and truncated. */
export function showValue(value: string): string {
    const shown = JSON.stringify(value.length > MAX_SHOWN ? value.slice(0, MAX_SHOWN) + "..." : value);
    return shown.replace(/[\u2028\u2029]/g, "?");
}

function fail(key: string, allowed: string, value: string): never {
    throw new ConfigError(`${NAMESPACE}:${key} must be ${allowed} (got ${showValue(value)})`);
}

// Docker image references: [host[:port]/]name[/name...][:tag][@sha256:digest], lower-case names.
const NAME_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REGISTRY = "(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*(?::[0-9]{1,5})?/)";
const IMAGE_PATTERN = new RegExp(
    `^${REGISTRY}?${NAME_COMPONENT}(?:/${NAME_COMPONENT})*` +
        `(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
const IMAGE_ALLOWED = "a Docker image reference like name:tag or host/name:tag (lower-case name, no spaces or quotes)";
const MAX_IMAGE_LENGTH = 255;

export function validateImage(key: string, value: string): string {
    if (value.length === 0 || value.length > MAX_IMAGE_LENGTH || !IMAGE_PATTERN.test(value)) {
        fail(key, IMAGE_ALLOWED, value);
    }
    return value;
}

export function validateColor(key: string, value: string): Color {
    if (value !== "blue" && value !== "green") {
        fail(key, `one of: blue, green`, value);
    }
    return value;
}

export function validateInteger(key: string, value: string, min: number, max: number): number {
    // Digits only: no signs, exponents, hex, spaces or fractions.
    if (!/^[0-9]{1,9}$/.test(value)) {
        fail(key, `an integer from ${min} to ${max}`, value);
    }
    const n = Number(value);
    if (n < min || n > max) {
        fail(key, `an integer from ${min} to ${max}`, value);
    }
    return n;
}

const HEALTH_PATH_PATTERN = /^\/[A-Za-z0-9._~\/-]{0,255}$/;

export function validateHealthPath(key: string, value: string): string {
    if (!HEALTH_PATH_PATTERN.test(value)) {
        fail(
            key,
            "a URL path starting with / using only letters, digits and . _ ~ / - (at most 256 characters)",
            value,
        );
    }
    return value;
}

const MAX_SMOKE_TEST_LENGTH = 1000;

export function validateSmokeTest(key: string, value: string): string {
    // Runs in a shell on the deploying machine (never in nginx); one printable line keeps logs honest.
    if (value.length > MAX_SMOKE_TEST_LENGTH || /[\u0000-\u001f\u007f]/.test(value) || value.trim() === "") {
        fail(key, `a non-empty one-line shell command of at most ${MAX_SMOKE_TEST_LENGTH} characters`, value);
    }
    return value;
}

export function validateEngine(key: string, value: string): EngineSetting {
    if (!(ENGINE_SETTINGS as readonly string[]).includes(value)) {
        fail(key, `one of: ${ENGINE_SETTINGS.join(", ")}`, value);
    }
    return value as EngineSetting;
}

export function validateOrchestrator(key: string, value: string): Orchestrator {
    if (!(ORCHESTRATORS as readonly string[]).includes(value)) {
        fail(key, `one of: ${ORCHESTRATORS.join(", ")}`, value);
    }
    return value as Orchestrator;
}

/** Replicas: 1 to MAX_REPLICAS on a swarm; a single Docker engine runs one container per colour. */
export function validateReplicas(key: string, value: string, orchestrator: Orchestrator): number {
    const replicas = validateInteger(key, value, 1, MAX_REPLICAS);
    if (orchestrator === "docker" && replicas !== 1) {
        throw new ConfigError(
            `${NAMESPACE}:${key} must be 1 with orchestrator docker (got ${replicas}); ` +
                `more replicas per colour need orchestrator swarm (pulumi config set orchestrator swarm)`,
        );
    }
    return replicas;
}

const REGISTRY_HOST_PATTERN = /^[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*(?::[0-9]{1,5})?$/;
const REGISTRY_AUTH_ALLOWED =
    'a JSON object of registry host to login, e.g. {"registry.example:5000":{"username":"u","password":"p"}}, set with --secret';

/** Parses `registryAuth`; never shows the value in an error (it holds passwords). */
export function validateRegistryAuth(key: string, value: string): NonNullable<Settings["registryAuth"]> {
    const reject = (why: string): never => {
        throw new ConfigError(`${NAMESPACE}:${key} must be ${REGISTRY_AUTH_ALLOWED} (${why})`);
    };
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch {
        return reject("not valid JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return reject("not an object");
    }
    const auth: Record<string, { username: string; password: string }> = {};
    for (const [host, login] of Object.entries(parsed)) {
        if (!REGISTRY_HOST_PATTERN.test(host) || host.length > 255) {
            reject(`the key ${showValue(host)} is not a registry host`);
        }
        const { username, password } = (login ?? {}) as { username?: unknown; password?: unknown };
        if (typeof username !== "string" || typeof password !== "string" || username === "" || /[\s]/.test(username)) {
            reject(`the login for ${host} needs a username without spaces and a password, both strings`);
        }
        auth[host] = { username: username as string, password: password as string };
    }
    return auth;
}

/** A fraction from 0 to 1 in plain decimal notation (`0.01`), for `maxErrorRate`. */
export function validateFraction(key: string, value: string): number {
    if (!/^(?:0(?:\.[0-9]{1,6})?|1(?:\.0{1,6})?|\.[0-9]{1,6})$/.test(value)) {
        fail(key, "a decimal from 0 to 1, like 0.01 for 1%", value);
    }
    return Number(value);
}

function parseVerification(read: ConfigReader): VerificationSettings {
    const orDefault = (key: "verifySeconds" | "maxErrorRate" | "minRequests") => read(key) ?? String(DEFAULTS[key]);
    const p99 = read("maxP99Ms") ?? "";
    return {
        seconds: validateInteger("verifySeconds", orDefault("verifySeconds"), 0, 3600),
        maxErrorRate: validateFraction("maxErrorRate", orDefault("maxErrorRate")),
        minRequests: validateInteger("minRequests", orDefault("minRequests"), 1, 1000000),
        ...(p99 === "" ? {} : { maxP99Ms: validateInteger("maxP99Ms", p99, 1, 600000) }),
    };
}

export type Switch = "on" | "off";

export function validateSwitch(key: string, value: string): boolean {
    if (value !== "on" && value !== "off") {
        fail(key, "one of: on, off", value);
    }
    return value === "on";
}

const MESSAGE_PATTERN = /^[A-Za-z0-9 .,:!?'()\/@&+-]{1,200}$/;

/** The maintenance 503's body: spliced into a quoted nginx string, so a strict allow-list. */
export function validateMessage(key: string, value: string): string {
    if (!MESSAGE_PATTERN.test(value) || value.trim() !== value) {
        fail(
            key,
            "1 to 200 characters of letters, digits, spaces and . , : ! ? ' ( ) / @ & + - (no quotes, $, ; or braces; no leading or trailing space)",
            value,
        );
    }
    return value;
}

const HOSTNAME_PATTERN = /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4_PATTERN =
    /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/** `tlsHostnames`: comma-separated lower-case DNS names (a leading `*.` allowed) or IPv4 addresses. */
export function validateHostnames(key: string, value: string): string[] {
    const names = value.split(",");
    for (const name of names) {
        if (name.length > 253 || !(HOSTNAME_PATTERN.test(name) || IPV4_PATTERN.test(name))) {
            fail(
                key,
                "a comma-separated list of lower-case DNS names (a leading *. allowed) or IPv4 addresses, e.g. app.example.com,www.example.com",
                name === "" ? value : name,
            );
        }
    }
    if (new Set(names).size !== names.length) {
        fail(key, "a list without repeated names", value);
    }
    return names;
}

const EMAIL_PATTERN = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+$/;
const DIRECTORY_PATTERN = /^https:\/\/[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~\/-]{0,200})?$/;

/** `tlsAcmeEmail` (+ `tlsAcmeDirectory`, `tlsAcmeDirectoryCa`, `acmeImage`, `tlsHostnames`). */
function parseAcme(read: ConfigReader, orchestrator: Orchestrator): AcmeSettings | undefined {
    const email = read("tlsAcmeEmail") ?? "";
    if (email === "") {
        return undefined;
    }
    if (!EMAIL_PATTERN.test(email)) {
        fail("tlsAcmeEmail", "an email address for the ACME account, e.g. ops@example.com", email);
    }
    if (orchestrator !== "docker") {
        throw new ConfigError(
            `${NAMESPACE}:tlsAcmeEmail works with orchestrator docker only (the agent shares the proxy container's ` +
                `namespaces, which swarm services cannot); on a swarm set tlsCertificate and tlsKey`,
        );
    }
    const directory = read("tlsAcmeDirectory") || DEFAULTS.tlsAcmeDirectory;
    if (!DIRECTORY_PATTERN.test(directory)) {
        fail("tlsAcmeDirectory", "an https:// URL of an ACME directory, e.g. " + DEFAULTS.tlsAcmeDirectory, directory);
    }
    const ca = read("tlsAcmeDirectoryCa") ?? "";
    if (ca !== "") {
        parseChain("tlsAcmeDirectoryCa", ca);
    }
    return {
        email,
        directory,
        ...(ca === "" ? {} : { directoryCa: ca }),
        image: validateImage("acmeImage", read("acmeImage") || DEFAULTS.acmeImage),
    };
}

/**
 * HTTPS: `tlsCertificate` + `tlsKey` (both or neither), or `tlsAcmeEmail` for certificates from
 * ACME; `tlsHostnames` and `tlsRedirect` apply to both.
 */
function parseTls(read: ConfigReader, now: Date, orchestrator: Orchestrator): TlsSettings | undefined {
    const certificate = read("tlsCertificate") ?? "";
    const key = read("tlsKey") ?? "";
    const hostnames = read("tlsHostnames") ?? "";
    const redirect = validateSwitch("tlsRedirect", read("tlsRedirect") ?? DEFAULTS.tlsRedirect);
    const acme = parseAcme(read, orchestrator);
    if (acme !== undefined) {
        if (certificate !== "" || key !== "") {
            throw new ConfigError(
                `${NAMESPACE}:tlsAcmeEmail and bluegreen:tlsCertificate/tlsKey exclude each other: ACME makes the ` +
                    `certificate; unset one (pulumi config rm tlsAcmeEmail, or rm tlsCertificate and tlsKey)`,
            );
        }
        const names = hostnames === "" ? [] : validateHostnames("tlsHostnames", hostnames);
        if (names.length === 0 || names.some((n) => n.startsWith("*.") || IPV4_PATTERN.test(n))) {
            throw new ConfigError(
                `${NAMESPACE}:tlsHostnames must list the DNS names to certify with ACME, without wildcards or IP ` +
                    `addresses (HTTP-01 cannot prove them; got ${showValue(hostnames)})`,
            );
        }
        return { acme, hostnames: names, redirect };
    }
    if (certificate === "" && key === "") {
        if (hostnames !== "") {
            throw new ConfigError(
                `${NAMESPACE}:tlsHostnames needs bluegreen:tlsCertificate and bluegreen:tlsKey (HTTPS is off without them)`,
            );
        }
        return undefined;
    }
    if (certificate === "" || key === "") {
        const missing = certificate === "" ? "tlsCertificate" : "tlsKey";
        throw new ConfigError(
            `${NAMESPACE}:${missing} is not set: HTTPS needs both bluegreen:tlsCertificate and bluegreen:tlsKey ` +
                `(pulumi config set tlsCertificate -- "$(cat cert.pem)"; pulumi config set --secret tlsKey -- "$(cat key.pem)")`,
        );
    }
    const names = hostnames === "" ? [] : validateHostnames("tlsHostnames", hostnames);
    return { material: validateTls(certificate, key, names, now), hostnames: names, redirect };
}

/** Stack names become Docker container and network names. */
export function validateStackName(value: string): string {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(value)) {
        throw new ConfigError(
            `stack name must start with a letter or digit and use only letters, digits and _ . - ` +
                `(at most 63 characters) to name Docker containers (got ${showValue(value)})`,
        );
    }
    return value;
}

/** Reads one raw config value; undefined when unset. */
export type ConfigReader = (key: string) => string | undefined;

function required(read: ConfigReader, key: string, allowed: string): string {
    const value = read(key);
    if (value === undefined) {
        throw new ConfigError(
            `${NAMESPACE}:${key} is not set: it must be ${allowed} (pulumi config set ${key} <value>)`,
        );
    }
    return value;
}

/**
 * Validates the whole stack config. Throws ConfigError for the first bad key. `now` is the clock
 * certificates are checked against.
 */
export function parseSettings(read: ConfigReader, now = new Date()): Settings {
    const orDefault = (key: keyof typeof DEFAULTS): string => read(key) ?? String(DEFAULTS[key]);
    const port = (key: "publicPort" | "bluePort" | "greenPort" | "appPort" | "httpsPort"): number =>
        validateInteger(key, orDefault(key), 1, 65535);

    const smokeTest = read("smokeTest");
    const orchestrator = validateOrchestrator("orchestrator", orDefault("orchestrator"));
    const registryAuth = read("registryAuth");
    const settings: Settings = {
        liveColor: validateColor("liveColor", required(read, "liveColor", "one of: blue, green")),
        blueImage: validateImage("blueImage", required(read, "blueImage", IMAGE_ALLOWED)),
        greenImage: validateImage("greenImage", required(read, "greenImage", IMAGE_ALLOWED)),
        publicPort: port("publicPort"),
        bluePort: port("bluePort"),
        greenPort: port("greenPort"),
        appPort: port("appPort"),
        healthPath: validateHealthPath("healthPath", orDefault("healthPath")),
        healthTimeoutSeconds: validateInteger("healthTimeoutSeconds", orDefault("healthTimeoutSeconds"), 1, 3600),
        healthIntervalMs: validateInteger("healthIntervalMs", orDefault("healthIntervalMs"), 50, 60000),
        healthyThreshold: validateInteger("healthyThreshold", orDefault("healthyThreshold"), 1, 100),
        proxyImage: validateImage("proxyImage", orDefault("proxyImage")),
        // Empty means unset: Pulumi.yaml declares "" as the default so the key is optional.
        smokeTest: smokeTest === undefined || smokeTest === "" ? undefined : validateSmokeTest("smokeTest", smokeTest),
        engine: validateEngine("engine", orDefault("engine")),
        registryAuth:
            registryAuth === undefined || registryAuth === ""
                ? undefined
                : validateRegistryAuth("registryAuth", registryAuth),
        orchestrator,
        replicas: validateReplicas("replicas", orDefault("replicas"), orchestrator),
        httpsPort: port("httpsPort"),
        // Checked even while ACME is off: a bad value must not wait for the day it is used.
        tls: (validateImage("acmeImage", orDefault("acmeImage")), parseTls(read, now, orchestrator)),
        maintenance: {
            on: validateSwitch("maintenance", orDefault("maintenance")),
            message: validateMessage("maintenanceMessage", orDefault("maintenanceMessage")),
        },
        canaryPercent: validateInteger("canaryPercent", orDefault("canaryPercent"), 0, 100),
        verification: parseVerification(read),
    };
    assertDistinctPorts(settings);
    return settings;
}

function assertDistinctPorts(s: Settings): void {
    const ports: [string, number][] = [
        ["publicPort", s.publicPort],
        ["bluePort", s.bluePort],
        ["greenPort", s.greenPort],
        ["httpsPort", s.httpsPort],
    ];
    for (let i = 0; i < ports.length; i++) {
        for (let j = i + 1; j < ports.length; j++) {
            if (ports[i][1] === ports[j][1]) {
                throw new ConfigError(
                    `${NAMESPACE}:${ports[j][0]} must differ from ${NAMESPACE}:${ports[i][0]} ` +
                        `(both are ${ports[i][1]}); publicPort, httpsPort, bluePort and greenPort must be four different ports`,
                );
            }
        }
    }
}

export function otherColor(color: Color): Color {
    return color === "blue" ? "green" : "blue";
}

export function imageOf(s: Pick<Settings, "blueImage" | "greenImage">, color: Color): string {
    return color === "blue" ? s.blueImage : s.greenImage;
}

export function portOf(s: Pick<Settings, "bluePort" | "greenPort">, color: Color): number {
    return color === "blue" ? s.bluePort : s.greenPort;
}
