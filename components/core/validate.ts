// Allow-lists for every value that reaches nginx, Docker or a shell. Pure: each takes the setting's
// name as messages show it (see subject.ts) and throws a one-line ConfigError naming it and what is
// allowed; a rejected value is shown escaped and truncated, never a secret.
import { Color } from "./color";
import { ConfigError } from "./configError";

const MAX_SHOWN = 40;

/** Shows a rejected value on one line, however hostile: JSON-escaped and truncated. */
export function showValue(value: string): string {
    const shown = JSON.stringify(value.length > MAX_SHOWN ? value.slice(0, MAX_SHOWN) + "..." : value);
    return shown.replace(/[\u2028\u2029]/g, "?");
}

export function fail(name: string, allowed: string, value: string): never {
    throw new ConfigError(`${name} must be ${allowed} (got ${showValue(value)})`);
}

// Docker image references: [host[:port]/]name[/name...][:tag][@sha256:digest], lower-case names.
const NAME_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REGISTRY = "(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*(?::[0-9]{1,5})?/)";
const IMAGE_PATTERN = new RegExp(
    `^${REGISTRY}?${NAME_COMPONENT}(?:/${NAME_COMPONENT})*` +
        `(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
export const IMAGE_ALLOWED =
    "a Docker image reference like name:tag or host/name:tag (lower-case name, no spaces or quotes)";
const MAX_IMAGE_LENGTH = 255;

export function validateImage(name: string, value: string): string {
    if (value.length === 0 || value.length > MAX_IMAGE_LENGTH || !IMAGE_PATTERN.test(value)) {
        fail(name, IMAGE_ALLOWED, value);
    }
    return value;
}

export function validateColor(name: string, value: string): Color {
    if (value !== "blue" && value !== "green") {
        fail(name, `one of: blue, green`, value);
    }
    return value;
}

export function validateInteger(name: string, value: string, min: number, max: number): number {
    // Digits only: no signs, exponents, hex, spaces or fractions.
    if (!/^[0-9]{1,9}$/.test(value)) {
        fail(name, `an integer from ${min} to ${max}`, value);
    }
    const n = Number(value);
    if (n < min || n > max) {
        fail(name, `an integer from ${min} to ${max}`, value);
    }
    return n;
}

/** One of `allowed`, for settings with a fixed set of values (engine, orchestrator). */
export function validateChoice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
    if (!(allowed as readonly string[]).includes(value)) {
        fail(name, `one of: ${allowed.join(", ")}`, value);
    }
    return value as T;
}

const HEALTH_PATH_PATTERN = /^\/[A-Za-z0-9._~\/-]{0,255}$/;

export function validateHealthPath(name: string, value: string): string {
    if (!HEALTH_PATH_PATTERN.test(value)) {
        fail(
            name,
            "a URL path starting with / using only letters, digits and . _ ~ / - (at most 256 characters)",
            value,
        );
    }
    return value;
}

const MAX_SMOKE_TEST_LENGTH = 1000;

export function validateSmokeTest(name: string, value: string): string {
    // Runs in a shell on the deploying machine (never in nginx); one printable line keeps logs honest.
    if (value.length > MAX_SMOKE_TEST_LENGTH || /[\u0000-\u001f\u007f]/.test(value) || value.trim() === "") {
        fail(name, `a non-empty one-line shell command of at most ${MAX_SMOKE_TEST_LENGTH} characters`, value);
    }
    return value;
}

/** Logins for registries the Docker client has no `docker login` for (a secret). */
export type RegistryLogins = Record<string, { readonly username: string; readonly password: string }>;

const REGISTRY_HOST_PATTERN = /^[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*(?::[0-9]{1,5})?$/;
const REGISTRY_AUTH_ALLOWED =
    'a JSON object of registry host to login, e.g. {"registry.example:5000":{"username":"u","password":"p"}}';

/** Parses registry logins (JSON text); never shows the value in an error (it holds passwords). */
export function validateRegistryAuth(name: string, value: string, hint = ""): RegistryLogins {
    const reject = (why: string): never => {
        throw new ConfigError(`${name} must be ${REGISTRY_AUTH_ALLOWED}${hint} (${why})`);
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
export function validateFraction(name: string, value: string): number {
    if (!/^(?:0(?:\.[0-9]{1,6})?|1(?:\.0{1,6})?|\.[0-9]{1,6})$/.test(value)) {
        fail(name, "a decimal from 0 to 1, like 0.01 for 1%", value);
    }
    return Number(value);
}

export function validateSwitch(name: string, value: string): boolean {
    if (value !== "on" && value !== "off") {
        fail(name, "one of: on, off", value);
    }
    return value === "on";
}

const MESSAGE_PATTERN = /^[A-Za-z0-9 .,:!?'()\/@&+-]{1,200}$/;

/** The maintenance 503's body: spliced into a quoted nginx string, so a strict allow-list. */
export function validateMessage(name: string, value: string): string {
    if (!MESSAGE_PATTERN.test(value) || value.trim() !== value) {
        fail(
            name,
            "1 to 200 characters of letters, digits, spaces and . , : ! ? ' ( ) / @ & + - (no quotes, $, ; or braces; no leading or trailing space)",
            value,
        );
    }
    return value;
}

const HOSTNAME_PATTERN = /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const IPV4_PATTERN =
    /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/** Whether `host` is a lower-case DNS name (a leading `*.` allowed) or an IPv4 address. */
export function isHostname(host: string): boolean {
    return host.length <= 253 && (HOSTNAME_PATTERN.test(host) || IPV4_PATTERN.test(host));
}

/** Comma-separated lower-case DNS names (a leading `*.` allowed) or IPv4 addresses. */
export function validateHostnames(name: string, value: string): string[] {
    const names = value.split(",");
    for (const host of names) {
        if (!isHostname(host)) {
            fail(
                name,
                "a comma-separated list of lower-case DNS names (a leading *. allowed) or IPv4 addresses, e.g. app.example.com,www.example.com",
                host === "" ? value : host,
            );
        }
    }
    if (new Set(names).size !== names.length) {
        fail(name, "a list without repeated names", value);
    }
    return names;
}

/** A prefix for Docker object names (`<name>-proxy`, `<name>-blue`, `<name>-net`). */
export function validateDockerName(name: string, value: string): string {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(value)) {
        throw new ConfigError(
            `${name} must start with a letter or digit and use only letters, digits and _ . - ` +
                `(at most 63 characters) to name Docker containers (got ${showValue(value)})`,
        );
    }
    return value;
}

/** A named volume mounted into a container. */
export interface VolumeMountSetting {
    readonly name: string;
    readonly path: string;
}

const VOLUME_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const MOUNT_PATH_PATTERN = /^\/[A-Za-z0-9._\/-]{0,255}$/;
const VOLUMES_ALLOWED =
    'a list of named Docker volumes and where each is mounted, e.g. [{"name":"uploads","path":"/data"}] ' +
    "(names of letters, digits and _ . -; absolute paths of letters, digits and . _ / -; each path once)";

/** Parses volume mounts (JSON text); both colours of an app mount the same volumes. */
export function validateVolumes(name: string, value: string): VolumeMountSetting[] {
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch {
        return fail(name, VOLUMES_ALLOWED, value);
    }
    if (!Array.isArray(parsed)) {
        return fail(name, VOLUMES_ALLOWED, value);
    }
    const mounts = parsed.map((entry: unknown) => {
        const { name: volume, path } = (entry ?? {}) as { name?: unknown; path?: unknown };
        if (typeof volume !== "string" || typeof path !== "string") {
            return fail(name, VOLUMES_ALLOWED, JSON.stringify(entry) ?? String(entry));
        }
        if (!VOLUME_NAME_PATTERN.test(volume)) {
            fail(name, VOLUMES_ALLOWED, volume);
        }
        if (!MOUNT_PATH_PATTERN.test(path) || path.split("/").includes("..")) {
            fail(name, VOLUMES_ALLOWED, path);
        }
        return { name: volume, path };
    });
    if (new Set(mounts.map((m) => m.path)).size !== mounts.length) {
        fail(name, VOLUMES_ALLOWED, value);
    }
    return mounts;
}
