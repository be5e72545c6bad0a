// An App's own certificate: nginx serves it, chosen by the host name a client asks for (SNI), for
// the App's hosts on its Proxy's HTTPS listener; the Proxy's certificate stays the default. Pure:
// checked as the Proxy's is (certificates.ts), against the App's hosts.
import type { RouteSettings } from "./appSettings";
import { TlsMaterial, validateTls } from "./certificates";
import { ConfigError } from "./configError";
import type { TlsSettings } from "./proxySettings";
import type { Subject } from "./subject";

/**
 * The App's certificate and key, validated for its hosts at `now`; undefined when it has none.
 * With ACME on the Proxy, a wildcard host needs one: HTTP-01 cannot prove a wildcard.
 */
export function parseAppCertificate(
    certificate: string | undefined,
    key: string | undefined,
    route: RouteSettings,
    proxyTls: TlsSettings | undefined,
    subject: Subject,
    now: Date,
): TlsMaterial | undefined {
    const given = (certificate ?? "") !== "";
    const keyGiven = (key ?? "") !== "";
    if (!given && !keyGiven) {
        const wildcard = route.hosts.find((host) => host.startsWith("*."));
        if (proxyTls?.source === "acme" && wildcard !== undefined) {
            throw new ConfigError(
                `${subject.name("hosts")} entry ${wildcard} needs a certificate of the App's own (tlsCertificate ` +
                    `and tlsKey): the Proxy's ACME certificate cannot cover a wildcard (HTTP-01 cannot prove it)`,
            );
        }
        return undefined;
    }
    if (!given || !keyGiven) {
        throw new ConfigError(
            `${subject.name(given ? "tlsKey" : "tlsCertificate")} is missing: set tlsCertificate and tlsKey together, or neither`,
        );
    }
    if (proxyTls === undefined) {
        throw new ConfigError(
            `${subject.name("tlsCertificate")} needs HTTPS on the Proxy (its tlsCertificate and tlsKey, or ` +
                `tlsAcmeEmail): an App's certificate is served on the Proxy's HTTPS listener`,
        );
    }
    if (route.hosts.length === 0) {
        throw new ConfigError(
            `${subject.name("tlsCertificate")} needs hosts: nginx picks a certificate by the host name a client ` +
                `asks for (SNI), so an App that claims no host serves the Proxy's`,
        );
    }
    return validateTls(certificate!, key!, route.hosts, now, subject.name, "hosts");
}
