// One blue/green application behind a Proxy: two colour slots, the guard, the health gates and the
// switch that moves nginx between them. A release is a change of this component's inputs.
import * as pulumi from "./sdk";
import { argsReader, isPlain, oneLine, secretLogins, type Validated } from "./args";
import { otherColor } from "./core/color";
import { parseAppCertificate } from "./core/appCertificate";
import { AppSettings, imageOf, parseAppSettings, portOf } from "./core/appSettings";
import type { TlsMaterial } from "./core/certificates";
import { prefixPath } from "./core/routing";
import { appEndpoint } from "./core/site";
import { loopbackUrl } from "./core/names";
import type { ProxySettings } from "./core/proxySettings";
import { componentSubject } from "./core/subject";
import { validateDockerName } from "./core/validate";
import type { Slot } from "./placement";
import { ProxySwitch, VerificationOutcome } from "./providers/proxySwitch";
import { ReleaseGuard } from "./providers/releaseGuard";
import { ProxyParts, proxyParts, RegistryLogin } from "./proxy";
import { switchArgs } from "./switchArgs";

/** A colour slot. */
export const Color = { Blue: "blue", Green: "green" } as const;
export type Color = (typeof Color)[keyof typeof Color];

/** The Proxy an App runs behind: in TypeScript the Proxy itself. */
export interface ProxyRef {
    /** The Proxy's URN. */
    readonly urn: pulumi.Input<string>;
}

/** A named Docker volume and where the app sees it. */
export interface VolumeMount {
    /** The volume's name (made when missing, kept when the app goes). */
    readonly name: pulumi.Input<string>;
    /** An absolute path inside the app's containers. */
    readonly path: pulumi.Input<string>;
}

/** What each colour's image resolved to. */
export interface ColorDigests {
    /** The registry digest (`name@sha256:…`), or the image ID of an image built locally. */
    readonly blue: string;
    readonly green: string;
}

/** The certificate HTTPS serves; never the key. */
export interface CertificateSummary {
    readonly subject?: string;
    readonly issuer?: string;
    /** ISO 8601. */
    readonly notBefore?: string;
    readonly notAfter?: string;
    /** DNS names and IP addresses it covers. */
    readonly names?: string[];
    /** With ACME: the serial of the certificate the agent holds. */
    readonly serial?: string;
}

export interface AppArgs {
    /** The Proxy that serves this app. */
    readonly proxy: pulumi.Input<ProxyRef>;
    /** The colour nginx serves. Flip it to release the idle colour (after its health gate) or to roll back. */
    readonly liveColor: pulumi.Input<Color>;
    /** The image the blue colour runs; change it only while blue is idle. */
    readonly blueImage: pulumi.Input<string>;
    /** The image the green colour runs; change it only while green is idle. */
    readonly greenImage: pulumi.Input<string>;
    /** The port the app listens on inside its containers. Default 8080. */
    readonly appPort?: pulumi.Input<number>;
    /** The blue colour's preview port, on 127.0.0.1 only (on a swarm, published by the proxy). Default 8081. */
    readonly bluePort?: pulumi.Input<number>;
    /** The green colour's preview port, on 127.0.0.1 only. Default 8082. */
    readonly greenPort?: pulumi.Input<number>;
    /** The path the health gate probes; 2xx means healthy. Default `/health`. */
    readonly healthPath?: pulumi.Input<string>;
    /** How long a colour may take to become healthy before the update fails (traffic stays). Default 60. */
    readonly healthTimeoutSeconds?: pulumi.Input<number>;
    /** Pause between health probes once the colour answers, in ms (50 or more). Default 50. */
    readonly healthIntervalMs?: pulumi.Input<number>;
    /** Consecutive 2xx answers the gate needs (from every replica). Default 3. */
    readonly healthyThreshold?: pulumi.Input<number>;
    /** A shell command run on this machine against the colour about to take traffic (TARGET_URL, TARGET_COLOR); non-zero stops the release. Default none. */
    readonly smokeTest?: pulumi.Input<string>;
    /** Logins for the images' registries, by registry host, when the Docker client has none; pass them as a secret. Default none. */
    readonly registryAuth?: pulumi.Input<Record<string, RegistryLogin>>;
    /**
     * Named Docker volumes both colours mount (orchestrator docker). Fixed once the app exists: a
     * change would replace both colours at once, so it is refused. Default none.
     */
    readonly volumes?: pulumi.Input<pulumi.Input<VolumeMount>[]>;
    /** Tasks per colour on a swarm (1 to 50); 1 with orchestrator docker. Default 1. */
    readonly replicas?: pulumi.Input<number>;
    /** The share of clients (0-100, sticky by cookie) the idle colour serves as a canary. Default 0. */
    readonly canaryPercent?: pulumi.Input<number>;
    /** Seconds to watch the colour that takes traffic after a switch; its failure undoes the switch. 0 is off. Default 0. */
    readonly verifySeconds?: pulumi.Input<number>;
    /** The largest share of 5xx answers (0 to 1) that passes verification. Default 0.01. */
    readonly maxErrorRate?: pulumi.Input<number>;
    /** Fewer answers than this in the window pass unjudged, with a warning. Default 20. */
    readonly minRequests?: pulumi.Input<number>;
    /** The slowest 99th-percentile answer, in ms, that passes verification. Default none (not checked). */
    readonly maxP99Ms?: pulumi.Input<number>;
    /** nginx answers 503 (with Retry-After) for every path but the health and version endpoints. Default false. */
    readonly maintenance?: pulumi.Input<boolean>;
    /**
     * Host names this app takes on its Proxy: exact (`api.example.com`) or one-label wildcards
     * (`*.example.com`); an exact name beats a wildcard, the longest wildcard beats a shorter one.
     * At most one App of a Proxy claims none: it takes every other host. Default none.
     */
    readonly hosts?: pulumi.Input<pulumi.Input<string>[]>;
    /** The path prefix this app takes under its hosts, in whole segments (`/api` takes `/api` and `/api/x`, not `/apix`); the longest wins. Default `/`. */
    readonly pathPrefix?: pulumi.Input<string>;
    /** Take `pathPrefix` off the path before the app sees it (sent as X-Forwarded-Prefix). Default true. */
    readonly stripPathPrefix?: pulumi.Input<boolean>;
    /**
     * A certificate chain (PEM, the server's certificate first) for this app's `hosts`, served for
     * them by SNI on the Proxy's HTTPS listener instead of the Proxy's certificate. It must cover
     * every host; needs `tlsKey`, `hosts` and HTTPS on the Proxy. Default none: the Proxy's.
     */
    readonly tlsCertificate?: pulumi.Input<string>;
    /** The key of `tlsCertificate` (PEM); pass it as a secret. Kept out of logs and outputs. Default none. */
    readonly tlsKey?: pulumi.Input<string>;
    /** With HTTPS on the Proxy, answer this app's plain HTTP with a 301 to HTTPS. Default: the Proxy's `tlsRedirect`. */
    readonly tlsRedirect?: pulumi.Input<boolean>;
    /** The maintenance page's text (letters, digits, spaces and . , : ! ? ' ( ) / @ & + -). Default "Down for maintenance, back soon." */
    readonly maintenanceMessage?: pulumi.Input<string>;
}

/**
 * A blue/green application: two colour slots (`<name>-blue`, `<name>-green`: containers, or on a
 * swarm services of `replicas` tasks) behind a Proxy. A release puts a new image on the idle colour
 * and flips `liveColor` in one update: the idle colour is replaced, proven healthy (and smoke
 * tested), then nginx is switched and proven to serve it. The old colour stays up as a hot
 * standby: flipping `liveColor` back is the rollback. Replacing the image of the colour that
 * serves is refused before anything changes.
 */
export class App extends pulumi.ComponentResource {
    /** The colour nginx serves, as the switch left it (not only what the inputs ask). */
    public readonly liveColor: pulumi.Output<Color>;
    /** The image the live colour runs. */
    public readonly liveImage: pulumi.Output<string>;
    /** The hot standby: a rollback moves traffic here. */
    public readonly standbyColor: pulumi.Output<Color>;
    public readonly standbyImage: pulumi.Output<string>;
    /** The app's public URL on this machine. */
    public readonly url: pulumi.Output<string>;
    /** The HTTPS URL on this machine when the proxy serves HTTPS. */
    public readonly httpsUrl: pulumi.Output<string | undefined>;
    /** The blue colour's preview URL, bypassing nginx's switch. */
    public readonly blueUrl: pulumi.Output<string>;
    /** The green colour's preview URL. */
    public readonly greenUrl: pulumi.Output<string>;
    /** The version of the nginx config the switch applied. */
    public readonly proxyConfigVersion: pulumi.Output<string>;
    /** What each colour's image resolved to. */
    public readonly digests: pulumi.Output<ColorDigests>;
    /** The canary share as nginx serves it (`10% of clients to green`), or `off`. */
    public readonly canary: pulumi.Output<string>;
    /** How the colours serving now were verified (`passed: green answered ...`), or `off`. */
    public readonly verification: pulumi.Output<string>;
    /** `on` while nginx answers 503 for maintenance, else `off`. */
    public readonly maintenance: pulumi.Output<string>;
    /** The certificate HTTPS serves (with ACME, the one the agent holds); undefined without HTTPS. */
    public readonly certificate: pulumi.Output<CertificateSummary | undefined>;
    /** The engine that maps containers to resources: `docker-cli` or `docker-provider`. */
    public readonly engine: pulumi.Output<string>;

    constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:App", name, {}, opts);
        const proxy = attachedProxy(name, args);
        const parsed = appSettings(name, args, proxy);
        // The Proxy places the colours (containers, or services on a swarm).
        const placement = proxy.attach({
            name,
            previewPorts: {
                blue: parsed.output.apply((x) => x.bluePort),
                green: parsed.output.apply((x) => x.greenPort),
            },
            appPort: parsed.output.apply((x) => x.appPort),
        });
        const p = proxy.settings;
        const own = ownCertificate(name, args, parsed.output, p);
        // Whether the switch records its routes: the app claims hosts or a prefix, or shares the proxy.
        const routed = proxy.apps.join(
            name,
            parsed.output.apply((x) => x.route),
            parsed.known?.route,
            own.apply((m) => m !== undefined),
        );
        // Every child waits for the checks against the other apps and of the certificate: a refusal touches nothing.
        const s = pulumi.all([parsed.output, routed, own]).apply(([x]) => x);
        const get = <K extends keyof AppSettings>(key: K) => s.apply((x) => x[key]);
        // How the guard, the switch's confirmation and the health gates reach nginx (the app's routes).
        const nginxAt = pulumi
            .all([p, s, routed])
            .apply(([ps, x, r]) => appEndpoint(placement.nginx(ps.publicPort), r ? x.route : undefined));

        // Runs first: its check refuses, at preview, replacing the container that serves traffic.
        const guard = new ReleaseGuard(
            `${name}-guard`,
            {
                liveColor: get("liveColor"),
                blueImage: get("blueImage"),
                greenImage: get("greenImage"),
                // Only when set: a stack without a canary keeps the inputs it was deployed with.
                canaryPercent: s.apply((x) => (x.canaryPercent > 0 ? x.canaryPercent : undefined)),
                volumes: s.apply((x) => (x.volumes.length > 0 ? x.volumes : undefined)),
                publicUrl: nginxAt.url,
                probeFrom: nginxAt.from,
                hostHeader: nginxAt.hostHeader,
            },
            { parent: this },
        );
        const logins = secretLogins(args.registryAuth);
        const slot = (color: Color) =>
            placement.slot(
                `${name}-${color}`,
                {
                    name,
                    color,
                    engine: proxy.engine,
                    image: s.apply((x) => imageOf(x, color)),
                    registryAuth: logins,
                    network: proxy.network.name,
                    appPort: get("appPort"),
                    healthPath: get("healthPath"),
                    healthTimeoutSeconds: get("healthTimeoutSeconds"),
                    healthIntervalMs: get("healthIntervalMs"),
                    healthyThreshold: get("healthyThreshold"),
                    // A canary's colour takes traffic too: its gate must pass, as the live one's.
                    live: s.apply((x) => takesTraffic(x, color)),
                    previewPort: s.apply((x) => portOf(x, color)),
                    replicas: get("replicas"),
                    ...(args.volumes !== undefined ? { volumes: get("volumes") } : {}),
                },
                { parent: this, dependsOn: [guard] },
            );
        const slots = { blue: slot("blue"), green: slot("green") };
        // Both gates: the one of a colour about to serve fails the update; the standby's only records.
        const gates: pulumi.Resource[] = [slots.blue.healthCheck, slots.green.healthCheck];
        if (args.smokeTest !== undefined) {
            gates.push(smokeTest(this, name, proxy, s, slots, gates));
        }
        const proxySwitch = new ProxySwitch(`${name}-switch`, switchArgs(name, s, p, placement, nginxAt, routed, own), {
            parent: this,
            // One switch at a time per proxy: each rewrites nginx's config from what the others recorded.
            dependsOn: [...gates, ...(proxy.acme ? [proxy.acme.ready] : []), ...proxy.apps.switchesSoFar()],
        });
        proxy.apps.addSwitch(proxySwitch);

        // Outputs report what nginx serves (the switch's state), not only what the inputs ask for.
        this.liveColor = proxySwitch.color;
        this.standbyColor = this.liveColor.apply(otherColor);
        this.liveImage = pulumi.all([this.liveColor, s]).apply(([c, x]) => imageOf(x, c));
        this.standbyImage = pulumi.all([this.standbyColor, s]).apply(([c, x]) => imageOf(x, c));
        this.url = pulumi.all([p, s]).apply(([ps, x]) => loopbackUrl(ps.publicPort) + prefixPath(x.route.pathPrefix));
        this.httpsUrl = p.apply((ps) => (ps.tls ? `https://127.0.0.1:${ps.httpsPort}` : undefined));
        this.blueUrl = slots.blue.url;
        this.greenUrl = slots.green.url;
        this.proxyConfigVersion = proxySwitch.configVersion;
        this.digests = pulumi
            .all([slots.blue.image.digest, slots.green.image.digest])
            .apply(([blue, green]) => ({ blue, green }));
        this.maintenance = proxySwitch.maintenance.apply((m) => (m ? "on" : "off"));
        this.canary = proxySwitch.canary.apply((c) => (c ? `${c.percent}% of clients to ${c.color}` : "off"));
        this.verification = pulumi.all([proxySwitch.verified, s]).apply(([v, x]) => verificationText(v, x));
        warnIfNotJudged(proxySwitch, this);
        // The app's own certificate; else with ACME, what the agent holds after the switches (it
        // renews on its own from then on); else the Proxy's.
        const proxyCertificate = proxy.acme
            ? issuedCertificate(proxy.acme.waitIssued(proxy.apps.allSwitches()), proxy.acme.domains)
            : p.apply(givenCertificate);
        this.certificate = pulumi
            .all([own, proxyCertificate])
            .apply(([m, given]): CertificateSummary | undefined => m?.info ?? given);
        this.engine = pulumi.output(proxy.engine.name);

        this.registerOutputs({
            liveColor: this.liveColor,
            liveImage: this.liveImage,
            standbyColor: this.standbyColor,
            standbyImage: this.standbyImage,
            url: this.url,
            httpsUrl: this.httpsUrl,
            blueUrl: this.blueUrl,
            greenUrl: this.greenUrl,
            proxyConfigVersion: this.proxyConfigVersion,
            digests: this.digests,
            canary: this.canary,
            verification: this.verification,
            maintenance: this.maintenance,
            certificate: this.certificate,
            engine: this.engine,
        });
    }
}

/** The Proxy of the `proxy` argument; a one-line error for anything else. */
function attachedProxy(name: string, args: AppArgs): ProxyParts {
    const proxy = proxyParts(args.proxy);
    if (proxy === undefined) {
        throw new pulumi.RunError(
            `${componentSubject("App", name).name("proxy")} must be a bluegreen Proxy of this program`,
        );
    }
    return proxy;
}

/**
 * The App's validated settings. Checked now when every input is a plain value (the error then
 * comes from the constructor, before any child exists), else as they resolve (every child takes a
 * setting, so none is made or changed).
 */
function appSettings(name: string, args: AppArgs, proxy: ProxyParts): Validated<AppSettings> {
    const subject = componentSubject("App", name);
    oneLine(() => validateDockerName(subject.name("name"), name));
    const rest: Omit<AppArgs, "proxy" | "tlsCertificate" | "tlsKey"> & {
        proxy?: unknown;
        tlsCertificate?: unknown;
        tlsKey?: unknown;
    } = { ...args };
    delete rest.proxy;
    // The app's certificate is checked on its own (ownCertificate): its key stays out of the settings.
    delete rest.tlsCertificate;
    delete rest.tlsKey;
    const parse = (values: object, p: ProxySettings): AppSettings =>
        oneLine(() =>
            parseAppSettings(argsReader(values as Record<string, unknown>), subject, { ...p, subject: proxy.subject }),
        );
    if (isPlain(rest) && proxy.known !== undefined) {
        const known = parse(rest, proxy.known);
        return { output: pulumi.output(known), known };
    }
    return {
        output: pulumi.unsecret(pulumi.all([pulumi.output(rest), proxy.settings]).apply(([v, p]) => parse(v, p))),
    };
}

/** The user's smoke test against the colour about to take traffic, after both gates. */
function smokeTest(
    app: App,
    name: string,
    proxy: ProxyParts,
    s: pulumi.Output<AppSettings>,
    slots: Record<Color, Slot>,
    gates: pulumi.Resource[],
): pulumi.Resource {
    // The colour about to take traffic: the live one, or with a canary the idle one getting its share.
    const next = s.apply((x) => (x.canaryPercent > 0 ? otherColor(x.liveColor) : x.liveColor));
    const ofNext = <T>(of: (slot: Slot) => pulumi.Output<T>) =>
        pulumi.all([next, of(slots.blue), of(slots.green)]).apply(([c, blue, green]) => (c === "blue" ? blue : green));
    const ssh = proxy.site.ssh;
    return proxy.engine.smokeTest(
        `${name}-smoke-test`,
        {
            command: s.apply((x) => x.smokeTest ?? ""),
            color: next,
            targetUrl: ofNext((slot) => slot.url),
            containerId: ofNext((slot) => slot.revision),
            // The colour's preview port is the server's: reach it through ssh from here.
            ...(ssh ? { tunnel: pulumi.all([next, s]).apply(([c, x]) => ({ ...ssh, remotePort: portOf(x, c) })) } : {}),
        },
        { parent: app, dependsOn: [...gates] },
    );
}

/** The verification output: how the colours serving now were verified. */
function verificationText(v: VerificationOutcome | undefined, s: AppSettings): string {
    if (v !== undefined) {
        return `${v.outcome}: ${v.summary}`;
    }
    return s.verification.seconds > 0 ? "not yet (no switch since it was turned on)" : "off";
}

/** Whether `color` takes traffic after this update: the live colour, or the idle one with a canary share. */
function takesTraffic(s: AppSettings, color: Color): boolean {
    return color === s.liveColor || (s.canaryPercent > 0 && color === otherColor(s.liveColor));
}

/** The certificate from the proxy's inputs, as outputs show it. */
function givenCertificate(p: ProxySettings): CertificateSummary | undefined {
    return p.tls?.material?.info;
}

/** What the ACME agent holds once the update waited for it. */
function issuedCertificate(
    issued: { issuer: pulumi.Output<string>; notAfter: pulumi.Output<string>; serial: pulumi.Output<string> },
    domains: pulumi.Output<string[]>,
): pulumi.Output<CertificateSummary | undefined> {
    return pulumi
        .all([issued.issuer, issued.notAfter, issued.serial, domains])
        .apply(([issuer, notAfter, serial, names]) => ({ issuer, notAfter, serial, names }));
}

/**
 * The app's own certificate and key (`tlsCertificate`, `tlsKey`), checked against its hosts and the
 * Proxy's HTTPS; undefined when it has none. Not a secret itself (the key alone is, where it goes).
 */
function ownCertificate(
    name: string,
    args: AppArgs,
    settings: pulumi.Output<AppSettings>,
    p: pulumi.Output<ProxySettings>,
): pulumi.Output<TlsMaterial | undefined> {
    const subject = componentSubject("App", name);
    return pulumi.unsecret(
        pulumi
            .all([args.tlsCertificate, args.tlsKey, settings, p])
            .apply(([certificate, key, x, ps]) =>
                oneLine(() => parseAppCertificate(certificate, key, x.route, ps.tls, subject, new Date())),
            ),
    );
}

/** When this program started: a verification that ended after it is this update's own. */
const PROGRAM_STARTED = Date.now();

/** Up says so when its switch's verification saw too few answers to judge (it passed, unjudged). */
function warnIfNotJudged(proxySwitch: ProxySwitch, resource: pulumi.Resource): void {
    proxySwitch.verified.apply((v) => {
        if (v?.outcome === "not judged" && Date.parse(v.at) >= PROGRAM_STARTED) {
            pulumi.log.warn(`verification: ${v.summary}; raise verifySeconds or lower minRequests`, resource);
        }
    });
}
