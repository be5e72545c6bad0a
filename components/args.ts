// From a component's arguments to validated settings: the core's parsers read settings as text, so
// the arguments are read as text too, and the same one-line errors name the component and the
// argument (`App "web": healthPath must be ...`).
import { ConfigError } from "./core/configError";
import { SettingReader } from "./core/subject";
import type { RegistryLogins } from "./core/validate";
import * as pulumi from "./sdk";

/** A registry login as a component takes it. */
export interface RegistryLoginArg {
    readonly username: pulumi.Input<string>;
    readonly password: pulumi.Input<string>;
}

/**
 * A bad setting, as the user sees it: one line, no stack trace. Its message stays that line: when
 * an Output rejects with it, Pulumi prefixes the same error object's message with every property
 * it was serializing (`error serializing property "outputs": error serializing property "url": …`),
 * which would bury it.
 */
export class SettingError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        Object.defineProperty(this, "message", { get: () => message, set: () => undefined });
    }
}

/** Runs a check whose ConfigError must reach the user as one line, without a stack trace. */
export function oneLine<T>(check: () => T): T {
    try {
        return check();
    } catch (err) {
        throw err instanceof ConfigError ? new SettingError(err.message) : err;
    }
}

/** Whether `value` holds no Output or Promise anywhere: its settings can be checked right now. */
export function isPlain(value: unknown): boolean {
    if (pulumi.Output.isInstance(value) || value instanceof Promise) {
        return false;
    }
    if (Array.isArray(value)) {
        return value.every(isPlain);
    }
    if (typeof value === "object" && value !== null) {
        return Object.values(value).every(isPlain);
    }
    return true;
}

/** Reads arguments as the parsers' text: numbers as digits, booleans as on/off, lists of plain values comma-joined, objects as JSON. */
export function argsReader(args: Readonly<Record<string, unknown>>): SettingReader {
    return (key) => {
        const value = args[key];
        if (value === undefined || value === null) {
            return undefined;
        }
        if (typeof value === "boolean") {
            return value ? "on" : "off";
        }
        if (Array.isArray(value) && value.every((v) => typeof v !== "object" || v === null)) {
            return value.map(String).join(",");
        }
        if (typeof value === "object") {
            return JSON.stringify(value);
        }
        return String(value);
    };
}

/** A component's validated settings: always as an Output, and as plain values when known at construction. */
export interface Validated<T> {
    readonly output: pulumi.Output<T>;
    readonly known?: T;
}

/**
 * The component's settings, validated. With plain arguments (a TypeScript program's values) a bad
 * one throws here, in the constructor, before any child exists. With Outputs among them (values of
 * other resources, or from another language) the check runs when they resolve, and a bad one fails
 * every child that takes a setting, so none is created or changed. Secret arguments do not make the
 * settings secret (every output derived from them would be hidden): where a secret goes, the
 * component wraps it again (`pulumi.secret`).
 */
export function settingsOf<T>(args: object, parse: (read: SettingReader) => T): Validated<T> {
    // One line, no stack trace: nothing has been touched.
    const check = (values: object): T => oneLine(() => parse(argsReader(values as Record<string, unknown>)));
    if (isPlain(args)) {
        const known = check(args);
        return { output: pulumi.output(known) as pulumi.Output<T>, known };
    }
    return { output: pulumi.unsecret(pulumi.output(args).apply((values) => check(values))) as pulumi.Output<T> };
}

/** One secret per set of logins, however many components take it (they then share its provider). */
const LOGINS = new WeakMap<object, pulumi.Output<RegistryLogins>>();

export function secretLogins(
    logins: pulumi.Input<Record<string, pulumi.Input<RegistryLoginArg>>> | undefined,
): pulumi.Output<RegistryLogins> | undefined {
    if (logins === undefined) {
        return undefined;
    }
    const key = logins as object;
    let secret = LOGINS.get(key);
    if (secret === undefined) {
        secret = pulumi.secret(logins as pulumi.Input<RegistryLogins>) as pulumi.Output<RegistryLogins>;
        LOGINS.set(key, secret);
    }
    return secret;
}
