// The edge of a blue/green deployment: nginx on a Docker network, publishing the public ports, with
// HTTPS from a given certificate or from ACME. Apps (components/app.ts) run behind it.
import * as pulumi from "./sdk";
import { oneLine, secretLogins, settingsOf } from "./args";
import { AcmeAgent } from "./acmeAgent";
import { Color } from "./core/color";
import { MANAGED_LABEL, loopbackUrl, networkName } from "./core/names";
import {
    ENGINE_SETTINGS,
    ORCHESTRATORS,
    parseProxySettings,
    PROXY_DEFAULTS,
    ProxySettings,
} from "./core/proxySettings";
import type { Site } from "./core/site";
import { componentSubject, Subject } from "./core/subject";
import { validateChoice, validateDockerName, type RegistryLogins } from "./core/validate";
import { Engine as ContainerEngine, NetworkHandle } from "./engines/engine";
import { deploymentTarget } from "./engines/select";
import { ProxyApps } from "./proxyApps";
import { hostedByPlugin } from "./plugin/hosted";
import { ProxyContainer } from "./proxyContainer";
import { containerPlacement, Placement, servicePlacement } from "./placement";
import { SwarmProxy } from "./swarmProxy";
import { CertificateInfo, daysLeft, EXPIRY_WARNING_DAYS } from "./core/certificates";

/** Which engine maps containers to resources: the docker CLI, or the @pulumi/docker provider. */
export const Engine = { Auto: "auto", DockerProvider: "docker-provider", DockerCli: "docker-cli" } as const;
export type Engine = (typeof Engine)[keyof typeof Engine];

/** Where the proxy and its apps run: containers on one Docker engine, or services on a Docker Swarm. */
export const Orchestrator = { Docker: "docker", Swarm: "swarm" } as const;
export type Orchestrator = (typeof Orchestrator)[keyof typeof Orchestrator];

/** A registry login. */
export interface RegistryLogin {
    readonly username: pulumi.Input<string>;
    readonly password: pulumi.Input<string>;
}

export interface ProxyArgs {
    /** The HTTP port nginx is published on, on every host address. Default 8080. */
    readonly publicPort?: pulumi.Input<number>;
    /** The HTTPS port, published from the start so turning HTTPS on or off never recreates nginx. Default 8443. */
    readonly httpsPort?: pulumi.Input<number>;
    /** The nginx image (1.27.4 or newer, for reloads that drop no connection). Default `nginx:1.28.0`. */
    readonly image?: pulumi.Input<string>;
    /** Logins for the image's registry, by registry host, when the Docker client has none; pass them as a secret. Default none. */
    readonly registryAuth?: pulumi.Input<Record<string, RegistryLogin>>;
    /** The PEM certificate chain HTTPS serves, the server's certificate first. Default none: no HTTPS, unless ACME is set. */
    readonly tlsCertificate?: pulumi.Input<string>;
    /** The certificate's unencrypted PEM private key; pass it as a secret. Required with `tlsCertificate`. Default none. */
    readonly tlsKey?: pulumi.Input<string>;
    /** Names the certificate must cover (checked before anything changes); with ACME, the names to certify. Default none. */
    readonly tlsHostnames?: pulumi.Input<string[]>;
    /** Answer plain HTTP with a 301 to HTTPS (but ACME challenges and the version endpoint). Default true. */
    readonly tlsRedirect?: pulumi.Input<boolean>;
    /** An ACME account's email: certificates for `tlsHostnames` from an ACME directory, obtained and renewed by an agent beside nginx. Default none. */
    readonly tlsAcmeEmail?: pulumi.Input<string>;
    /** The ACME directory's URL. Default Let's Encrypt's (https://acme-v02.api.letsencrypt.org/directory). */
    readonly tlsAcmeDirectory?: pulumi.Input<string>;
    /** PEM roots the ACME directory's own HTTPS chains to, for a private ACME server. Default the system's. */
    readonly tlsAcmeDirectoryCa?: pulumi.Input<string>;
    /** The ACME agent's image (built from images/acme by make setup). Default `bluegreen-acme:local`. */
    readonly acmeImage?: pulumi.Input<string>;
    /**
     * Which engine maps containers to resources. A plain value, not an Input: it decides which
     * resources exist. `auto` keeps a deployed proxy's engine, else takes docker-provider when its
     * plugins can be had. Default `auto`.
     */
    readonly engine?: Engine;
    /** Containers on one Docker engine, or services on a swarm (DOCKER_HOST names a manager). A plain value. Default `docker`. */
    readonly orchestrator?: Orchestrator;
}

/**
 * nginx in front of blue/green apps: a container (or on a swarm a service pinned to the manager)
 * on a Docker network of its own, publishing `publicPort` and `httpsPort`. It starts with a
 * placeholder page (503) and is never recreated by a release: each App's switch rewrites its
 * config and reloads it. Docker objects are named from the component's name: `<name>-proxy`,
 * `<name>-net` (and `<name>-acme` with ACME). Where Docker runs is DOCKER_HOST, else the current
 * docker context.
 */
export class Proxy extends pulumi.ComponentResource {
    /** The public URL on this machine (`http://127.0.0.1:<publicPort>`). */
    public readonly url: pulumi.Output<string>;
    /** The HTTPS URL on this machine when HTTPS is on (the certificate may name other hosts). */
    public readonly httpsUrl: pulumi.Output<string | undefined>;
    /** The Docker network nginx and the apps share; other containers may join it. */
    public readonly networkName: pulumi.Output<string>;
    /** The engine that maps containers to resources: `docker-cli` or `docker-provider`. */
    public readonly engine: pulumi.Output<string>;

    constructor(name: string, args: ProxyArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:Proxy", name, {}, opts);
        const subject = componentSubject("Proxy", name);
        // What decides the resources is checked now, in one line, before any child exists.
        const plain = oneLine(() => ({
            name: validateDockerName(subject.name("name"), name),
            engine: validateChoice(subject.name("engine"), args.engine ?? PROXY_DEFAULTS.engine, ENGINE_SETTINGS),
            orchestrator: validateChoice(
                subject.name("orchestrator"),
                args.orchestrator ?? PROXY_DEFAULTS.orchestrator,
                ORCHESTRATORS,
            ),
        }));
        const { registryAuth, ...rest } = args;
        const validated = settingsOf(rest, (read) => parseProxySettings(read, subject));
        const settings = validated.output;
        const { site, engine } = oneLine(() => deploymentTarget(name, plain));
        const swarm = plain.orchestrator === "swarm";

        const network = engine.network(
            `${name}-network`,
            {
                name: networkName(name),
                labels: { [MANAGED_LABEL]: name },
                driver: swarm ? "overlay" : "bridge",
            },
            // Made once the settings are known good: a bad one leaves everything as it was.
            { parent: this, dependsOn: settings.apply(() => []) },
        );
        const image = settings.apply((s) => s.image);
        const auth = secretLogins(registryAuth);
        const container = swarm
            ? undefined
            : new ProxyContainer(
                  `${name}-proxy`,
                  {
                      name,
                      engine,
                      image,
                      registryAuth: auth,
                      network: network.name,
                      publicPort: settings.apply((s) => s.publicPort),
                      httpsPort: settings.apply((s) => s.httpsPort),
                  },
                  { parent: this },
              );
        const apps = new ProxyApps(name, hostedByPlugin());
        // With ACME, an agent beside nginx (sharing its namespaces) holds the certificate: for
        // tlsHostnames and every app's host names but those of apps with a certificate of their own.
        const acme =
            args.tlsAcmeEmail !== undefined && container !== undefined
                ? new AcmeAgent(
                      `${name}-acme`,
                      {
                          name,
                          engine,
                          settings: settings.apply((s) => s.tls!.acme!),
                          domains: pulumi
                              .all([settings, apps.hostsToCertify()])
                              .apply(([s, hosts]) => [...new Set([...s.tls!.hostnames, ...hosts])]),
                          proxy: { name: container.containerName, containerId: container.container.containerId },
                          network: network.name,
                      },
                      { parent: this, dependsOn: [container] },
                  )
                : undefined;

        settings.apply((s) => s.tls?.material && warnIfExpiring(s.tls.material.info, subject, this));
        this.url = settings.apply((s) => loopbackUrl(s.publicPort));
        this.httpsUrl = settings.apply((s) => (s.tls ? `https://127.0.0.1:${s.httpsPort}` : undefined));
        this.networkName = network.name;
        this.engine = pulumi.output(engine.name);
        PARTS.set(this, {
            name,
            subject,
            engine,
            site,
            settings,
            known: validated.known,
            network,
            acme,
            apps,
            attach:
                container !== undefined
                    ? (app) =>
                          containerPlacement(
                              { name, site, containerId: container.revision, container: container.container.resource },
                              app.name,
                          )
                    : oneAppOnly(name, (app) =>
                          servicePlacement(
                              swarmProxy(this, name, engine, settings, network, auth, app),
                              site,
                              name,
                              app.name,
                          ),
                      ),
        });

        this.registerOutputs({
            url: this.url,
            httpsUrl: this.httpsUrl,
            networkName: this.networkName,
            engine: this.engine,
        });
    }
}

/** What an App needs of its Proxy, kept off the class: a component's properties are its outputs. */
export interface ProxyParts {
    /** The component's name: Docker objects are `<name>-proxy`, `<name>-net`. */
    readonly name: string;
    readonly subject: Subject;
    readonly engine: ContainerEngine;
    readonly site: Site;
    readonly settings: pulumi.Output<ProxySettings>;
    /** The settings as plain values, when every argument was one. */
    readonly known?: ProxySettings;
    readonly network: NetworkHandle;
    /** The ACME agent beside nginx, when the proxy gets its certificate from ACME. */
    readonly acme?: AcmeAgent;
    /** The apps behind it: their routes, and the order their switches run in. */
    readonly apps: ProxyApps;
    /**
     * Takes the proxy for an app: where its colours live and how its switch finds nginx. On a
     * swarm a second app is refused (nginx's service publishes the app's preview ports).
     */
    readonly attach: (app: AttachingApp) => Placement;
}

/** What a proxy takes from the app behind it (on a swarm, nginx publishes its preview ports). */
export interface AttachingApp {
    readonly name: string;
    readonly previewPorts: Record<Color, pulumi.Input<number>>;
    readonly appPort: pulumi.Input<number>;
}

const PARTS = new WeakMap<Proxy, ProxyParts>();

/** The parts of a Proxy of this program, or undefined for anything else. */
export function proxyParts(proxy: unknown): ProxyParts | undefined {
    return proxy instanceof Proxy ? PARTS.get(proxy) : undefined;
}

/** A swarm's proxy serves one App: its service publishes that app's preview ports. */
function oneAppOnly(proxy: string, place: (app: AttachingApp) => Placement): (app: AttachingApp) => Placement {
    let served: string | undefined;
    return (app) => {
        if (served !== undefined) {
            throw new pulumi.RunError(
                `App ${JSON.stringify(app.name)}: the Proxy ${JSON.stringify(proxy)} already serves the App ` +
                    `${JSON.stringify(served)}; on a swarm, give each App a Proxy of its own (apps sharing a ` +
                    `swarm's proxy are not supported yet)`,
            );
        }
        served = app.name;
        return place(app);
    };
}

/** nginx's swarm service, made for the app behind the proxy: it publishes the app's preview ports. */
function swarmProxy(
    proxy: Proxy,
    name: string,
    engine: ContainerEngine,
    settings: pulumi.Output<ProxySettings>,
    network: NetworkHandle,
    registryAuth: pulumi.Input<RegistryLogins> | undefined,
    app: AttachingApp,
): SwarmProxy {
    return new SwarmProxy(
        `${name}-proxy`,
        {
            name,
            app: app.name,
            engine,
            image: settings.apply((s) => s.image),
            registryAuth,
            network: network.name,
            publicPort: settings.apply((s) => s.publicPort),
            httpsPort: settings.apply((s) => s.httpsPort),
            previewPorts: app.previewPorts,
            appPort: app.appPort,
        },
        { parent: proxy },
    );
}

/** Preview and up say so when the certificate runs out soon (ACME renews on its own; a file does not). */
function warnIfExpiring(info: CertificateInfo, subject: Subject, resource: pulumi.Resource): void {
    const days = daysLeft(info, new Date());
    if (days < EXPIRY_WARNING_DAYS) {
        pulumi.log.warn(
            `${subject.name("tlsCertificate")} expires in ${days} day(s), at ${info.notAfter} (${info.subject}): renew it soon`,
            resource,
        );
    }
}
