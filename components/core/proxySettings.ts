// A proxy's settings: its ports, nginx image, HTTPS and where it runs. Pure: parsed from raw text
// (stack config, or a Proxy's arguments as text) with one-line errors naming the setting.
import { parseChain, TlsMaterial, validateTls } from "./certificates";
import { ConfigError } from "./configError";
import { SettingReader, Subject } from "./subject";
import {
    IPV4_PATTERN,
    fail,
    showValue,
    validateChoice,
    validateHostnames,
    validateImage,
    validateInteger,
    validateSwitch,
} from "./validate";

export type Orchestrator = "docker" | "swarm";
export const ORCHESTRATORS: readonly Orchestrator[] = ["docker", "swarm"];

export type EngineSetting = "auto" | "docker-cli" | "docker-provider";
export const ENGINE_SETTINGS: readonly EngineSetting[] = ["auto", "docker-cli", "docker-provider"];

export interface ProxySettings {
    /** The HTTP port nginx is published on, on every host address. */
    readonly publicPort: number;
    /** The HTTPS port, published from the proxy's creation so turning TLS on never recreates it. */
    readonly httpsPort: number;
    /** The nginx image. */
    readonly image: string;
    /** Which engine maps containers to resources; `auto` is resolved at deploy time (chooseEngine). */
    readonly engine: EngineSetting;
    /** Where the proxy and its apps run: containers on one Docker engine, or services on a swarm. */
    readonly orchestrator: Orchestrator;
    /** HTTPS at the proxy; undefined when neither a certificate nor ACME is set (plain HTTP only). */
    readonly tls?: TlsSettings;
}

export interface TlsSettings {
    /** Where the certificate comes from: the given chain and key, or an ACME directory. */
    readonly source: "certificate" | "acme";
    /** The validated chain and key (the key is a secret: never logged, never an output); absent when unread. */
    readonly material?: TlsMaterial;
    /** With ACME: the directory and the agent beside the proxy that obtains and renews the certificate. */
    readonly acme?: AcmeSettings;
    /** Names the certificate must cover; empty means not checked (a given certificate only). */
    readonly hostnames: string[];
    /** Answer plain HTTP with a 301 to HTTPS (but the ACME challenge and version paths). */
    readonly redirect: boolean;
}

export interface AcmeSettings {
    /** The account's contact. */
    readonly email: string;
    /** The directory URL (Let's Encrypt's by default). */
    readonly directory: string;
    /** PEM roots the directory's own HTTPS chains to, for a private ACME server. */
    readonly directoryCa?: string;
    /** The agent's image. */
    readonly image: string;
}

/** Defaults of the proxy's optional settings, by argument name. */
export const PROXY_DEFAULTS = {
    publicPort: 8080,
    httpsPort: 8443,
    // The official image, pinned, for users with a registry (>= 1.27.4 for keepalive_min_timeout).
    image: "nginx:1.28.0",
    engine: "auto",
    orchestrator: "docker",
    tlsRedirect: "on",
    tlsAcmeDirectory: "https://acme-v02.api.letsencrypt.org/directory",
    // Built by make setup from images/acme (no registry has it).
    acmeImage: "bluegreen-acme:local",
} as const;

const EMAIL_PATTERN = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+$/;
const DIRECTORY_PATTERN = /^https:\/\/[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~\/-]{0,200})?$/;

export interface ProxyParseOptions {
    /** The clock certificates are checked against. */
    readonly now?: Date;
    /** The key is not at hand (a helper reading stack files): TLS is parsed without the key check. */
    readonly keyUnread?: boolean;
}

/** Validates a proxy's settings; throws a ConfigError for the first bad one. */
export function parseProxySettings(
    read: SettingReader,
    subject: Subject,
    options: ProxyParseOptions = {},
): ProxySettings {
    const n = subject.name;
    const orDefault = (key: keyof typeof PROXY_DEFAULTS): string => read(key) ?? String(PROXY_DEFAULTS[key]);
    const orchestrator = validateChoice(n("orchestrator"), orDefault("orchestrator"), ORCHESTRATORS);
    const settings: ProxySettings = {
        publicPort: validateInteger(n("publicPort"), orDefault("publicPort"), 1, 65535),
        httpsPort: validateInteger(n("httpsPort"), orDefault("httpsPort"), 1, 65535),
        image: validateImage(n("image"), orDefault("image")),
        engine: validateChoice(n("engine"), orDefault("engine"), ENGINE_SETTINGS),
        orchestrator,
        // The ACME image is checked even while ACME is off: a bad value must not wait for the day it is used.
        tls: (validateImage(n("acmeImage"), orDefault("acmeImage")), parseTls(read, subject, orchestrator, options)),
    };
    if (settings.publicPort === settings.httpsPort) {
        throw new ConfigError(
            `${n("httpsPort")} must differ from ${n("publicPort")} (both are ${settings.publicPort}); ` +
                `publicPort, httpsPort, bluePort and greenPort must be four different ports`,
        );
    }
    return settings;
}

/** ACME (`tlsAcmeEmail` + `tlsAcmeDirectory`, `tlsAcmeDirectoryCa`, `acmeImage`), or undefined when off. */
function parseAcme(read: SettingReader, subject: Subject, orchestrator: Orchestrator): AcmeSettings | undefined {
    const n = subject.name;
    const email = read("tlsAcmeEmail") ?? "";
    if (email === "") {
        return undefined;
    }
    if (!EMAIL_PATTERN.test(email)) {
        fail(n("tlsAcmeEmail"), "an email address for the ACME account, e.g. ops@example.com", email);
    }
    if (orchestrator !== "docker") {
        throw new ConfigError(
            `${n("tlsAcmeEmail")} works with orchestrator docker only (the agent shares the proxy container's ` +
                `namespaces, which swarm services cannot); on a swarm set tlsCertificate and tlsKey`,
        );
    }
    const directory = read("tlsAcmeDirectory") || PROXY_DEFAULTS.tlsAcmeDirectory;
    if (!DIRECTORY_PATTERN.test(directory)) {
        fail(
            n("tlsAcmeDirectory"),
            "an https:// URL of an ACME directory, e.g. " + PROXY_DEFAULTS.tlsAcmeDirectory,
            directory,
        );
    }
    const ca = read("tlsAcmeDirectoryCa") ?? "";
    if (ca !== "") {
        parseChain(n("tlsAcmeDirectoryCa"), ca);
    }
    return {
        email,
        directory,
        ...(ca === "" ? {} : { directoryCa: ca }),
        image: validateImage(n("acmeImage"), read("acmeImage") || PROXY_DEFAULTS.acmeImage),
    };
}

/**
 * HTTPS: `tlsCertificate` + `tlsKey` (both or neither), or `tlsAcmeEmail` for certificates from
 * ACME; `tlsHostnames` and `tlsRedirect` apply to both.
 */
function parseTls(
    read: SettingReader,
    subject: Subject,
    orchestrator: Orchestrator,
    options: ProxyParseOptions,
): TlsSettings | undefined {
    const n = subject.name;
    const certificate = read("tlsCertificate") ?? "";
    const key = options.keyUnread ? "" : (read("tlsKey") ?? "");
    const hostnames = read("tlsHostnames") ?? "";
    const redirect = validateSwitch(n("tlsRedirect"), read("tlsRedirect") ?? PROXY_DEFAULTS.tlsRedirect);
    const acme = parseAcme(read, subject, orchestrator);
    const remedy = (text: string) => (subject.fromConfig ? ` (${text})` : "");
    if (acme !== undefined) {
        if (certificate !== "" || key !== "") {
            throw new ConfigError(
                `${n("tlsAcmeEmail")} and ${n("tlsCertificate")}/tlsKey exclude each other: ACME makes the ` +
                    `certificate; unset one` +
                    remedy("pulumi config rm tlsAcmeEmail, or rm tlsCertificate and tlsKey"),
            );
        }
        const names = hostnames === "" ? [] : validateHostnames(n("tlsHostnames"), hostnames);
        if (names.length === 0 || names.some((name) => name.startsWith("*.") || IPV4_PATTERN.test(name))) {
            throw new ConfigError(
                `${n("tlsHostnames")} must list the DNS names to certify with ACME, without wildcards or IP ` +
                    `addresses (HTTP-01 cannot prove them; got ${showValue(hostnames)})`,
            );
        }
        return { source: "acme", acme, hostnames: names, redirect };
    }
    if (certificate === "" && (key === "" || options.keyUnread)) {
        if (hostnames !== "") {
            throw new ConfigError(
                `${n("tlsHostnames")} needs ${n("tlsCertificate")} and ${n("tlsKey")} (HTTPS is off without them)`,
            );
        }
        return undefined;
    }
    const names = hostnames === "" ? [] : validateHostnames(n("tlsHostnames"), hostnames);
    if (options.keyUnread) {
        return { source: "certificate", hostnames: names, redirect };
    }
    if (certificate === "" || key === "") {
        const missing = certificate === "" ? "tlsCertificate" : "tlsKey";
        throw new ConfigError(
            `${n(missing)} is not set: HTTPS needs both ${n("tlsCertificate")} and ${n("tlsKey")}` +
                remedy(
                    `pulumi config set tlsCertificate -- "$(cat cert.pem)"; pulumi config set --secret tlsKey -- "$(cat key.pem)"`,
                ),
        );
    }
    return {
        source: "certificate",
        material: validateTls(certificate, key, names, options.now ?? new Date(), n),
        hostnames: names,
        redirect,
    };
}
