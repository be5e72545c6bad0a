import * as pulumi from "./sdk";
import { Color, imageOf, otherColor, portOf, Settings } from "./config";
import { ColorSlot } from "./colorSlot";
import { containerName, loopbackUrl, MANAGED_LABEL, networkName, tasksHost } from "./names";
import { EdgeOptions, filesDirOf, fingerprintFiles, NGINX_CONF_PATH, renderProxyConfig } from "./nginx";
import { ACME_AGENT_ADDRESS, ACME_BUNDLE_PATH, AcmeAgent } from "./acme";
import { CertificateInfo, daysLeft, EXPIRY_WARNING_DAYS } from "./tls";
import { Proxy } from "./proxy";
import { SwarmColorSlot } from "./swarmColorSlot";
import { SWARM_CONF_PATH, SwarmProxy, swarmRouting } from "./swarmProxy";
import { ProxySwitch } from "./providers/proxySwitch";
import { ReleaseGuard } from "./providers/releaseGuard";
import { Engine } from "./engine";
import { proxyEndpoint, Site } from "./site";

export interface BlueGreenServiceArgs {
    /** Stack name; prefixes every Docker object (`<stack>-proxy`, `<stack>-blue`, ...). */
    readonly stack: string;
    /** Validated settings (see `parseSettings`). */
    readonly settings: Settings;
    /** Maps containers, images, the network and the smoke test to resources (see components/engines/). */
    readonly engine: Engine;
    /** Where the containers run (components/site.ts): decides how the gates reach them. */
    readonly site: Site;
}

/**
 * The whole service: a network, two colour slots and the proxy, wired as a two-step swap:
 * guard -> idle container -> health check -> smoke test -> proxy switch (confirmed on the public port).
 */
export class BlueGreenService extends pulumi.ComponentResource {
    public readonly liveColor: pulumi.Output<Color>;
    public readonly liveImage: pulumi.Output<string>;
    public readonly standbyColor: pulumi.Output<Color>;
    public readonly standbyImage: pulumi.Output<string>;
    public readonly url: string;
    public readonly blueUrl: string;
    public readonly greenUrl: string;
    public readonly proxyConfigVersion: pulumi.Output<string>;
    /** The HTTPS URL on this machine when TLS is on (the certificate may name other hosts). */
    public readonly httpsUrl?: string;
    /** The certificate served (subject, issuer, validity, names); never the key. */
    public readonly certificate?: pulumi.Output<Partial<CertificateInfo> & { serial?: string }>;
    /** With ACME: the agent beside the proxy that obtains and renews the certificate. */
    public readonly acme?: AcmeAgent;
    /** `on` while nginx answers 503 for maintenance. */
    public readonly maintenance: pulumi.Output<string>;
    /** The canary share as nginx serves it (`10% of clients to green`), or `off`. */
    public readonly canary: pulumi.Output<string>;
    /** How the colours serving now were verified (`passed: green answered ...`), or `off`. */
    public readonly verification: pulumi.Output<string>;
    /** The engine that maps containers to resources. */
    public readonly engine: string;
    /** What each colour's image resolved to: registry digest, or image ID for a local build. */
    public readonly digests: Record<Color, pulumi.Output<string>>;
    public readonly slots: Record<Color, ColorSlot | SwarmColorSlot>;
    public readonly proxySwitch: ProxySwitch;
    /** What the proxy switch waits for: the live colour's health check, then the smoke test if any. */
    public readonly switchGates: pulumi.Resource[];

    constructor(name: string, args: BlueGreenServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:BlueGreenService", name, {}, opts);
        const { stack, settings: s, engine, site } = args;
        this.url = loopbackUrl(s.publicPort);
        const swarm = s.orchestrator === "swarm";
        // How the guard, the switch's confirmation and the health gates reach nginx and the colours.
        const nginxAt = proxyEndpoint(site, stack, s.publicPort, swarm);

        // Runs first: its check refuses, at preview, replacing the container that serves traffic.
        const guard = new ReleaseGuard(
            `${name}-guard`,
            {
                liveColor: s.liveColor,
                blueImage: s.blueImage,
                greenImage: s.greenImage,
                // Only when set: a stack without a canary keeps the inputs it was deployed with.
                ...(s.canaryPercent > 0 ? { canaryPercent: s.canaryPercent } : {}),
                publicUrl: nginxAt.url,
                probeFrom: nginxAt.from,
            },
            { parent: this },
        );
        const network = engine.network(
            `${name}-network`,
            { name: networkName(stack), labels: { [MANAGED_LABEL]: stack }, driver: swarm ? "overlay" : "bridge" },
            { parent: this, dependsOn: [guard] },
        );

        // What both proxies take: the image, the network and the two public ports.
        const proxyArgs = {
            stack,
            engine,
            image: s.proxyImage,
            network: network.name,
            publicPort: s.publicPort,
            httpsPort: s.httpsPort,
        };
        // On a swarm, the proxy comes first: the colours' gates probe their replicas from its task.
        const swarmProxy = swarm
            ? new SwarmProxy(
                  `${name}-proxy`,
                  { ...proxyArgs, previewPorts: { blue: s.bluePort, green: s.greenPort }, appPort: s.appPort },
                  { parent: this, dependsOn: [guard] },
              )
            : undefined;
        // On one engine the proxy is independent of the colours, except on a remote engine: there
        // the colours' gates probe them from inside its container.
        const proxy = swarmProxy ?? new Proxy(`${name}-proxy`, proxyArgs, { parent: this, dependsOn: [guard] });
        const slot = (color: Color) => {
            const common = {
                stack,
                color,
                engine,
                image: imageOf(s, color),
                network: network.name,
                appPort: s.appPort,
                healthPath: s.healthPath,
                healthTimeoutSeconds: s.healthTimeoutSeconds,
                healthIntervalMs: s.healthIntervalMs,
                healthyThreshold: s.healthyThreshold,
                // A canary's colour takes traffic too: its gate must pass, as the live one's.
                live: color === s.liveColor || (s.canaryPercent > 0 && color === otherColor(s.liveColor)),
            };
            const opts = { parent: this, dependsOn: [guard] };
            return swarmProxy
                ? new SwarmColorSlot(
                      `${name}-${color}`,
                      { ...common, replicas: s.replicas, previewPort: portOf(s, color), proxy: swarmProxy },
                      opts,
                  )
                : new ColorSlot(
                      `${name}-${color}`,
                      {
                          ...common,
                          site,
                          hostPort: portOf(s, color),
                          probeAfter:
                              site.kind === "remote" && proxy instanceof Proxy ? proxy.container.resource : undefined,
                      },
                      opts,
                  );
        };
        this.slots = { blue: slot("blue"), green: slot("green") };
        this.blueUrl = this.slots.blue.url;
        this.greenUrl = this.slots.green.url;

        const live = this.slots[s.liveColor];
        const idle = otherColor(s.liveColor);
        // The colour about to take traffic: the live one, or with a canary the idle one getting its share.
        const next = s.canaryPercent > 0 ? idle : s.liveColor;
        this.switchGates = [live.healthCheck, ...(s.canaryPercent > 0 ? [this.slots[idle].healthCheck] : [])];
        if (s.smokeTest !== undefined) {
            this.switchGates.push(
                engine.smokeTest(
                    `${name}-smoke-test`,
                    {
                        command: s.smokeTest,
                        color: next,
                        targetUrl: this.slots[next].url,
                        containerId: this.slots[next].revision,
                        // The colour's preview port is the server's: reach it through ssh from here.
                        ...(site.ssh ? { tunnel: { ...site.ssh, remotePort: portOf(s, next) } } : {}),
                    },
                    { parent: this, dependsOn: [this.slots[next].healthCheck] },
                ),
            );
        }

        const target = { color: s.liveColor, host: colorHost(stack, s.liveColor, swarm), port: s.appPort };
        const routing = swarm ? swarmRouting(stack) : undefined;
        // With ACME, an agent beside the proxy (sharing its namespaces) holds the certificate: the
        // switch waits until one (at first a placeholder) is in place for nginx to load.
        const acme = s.tls?.acme;
        this.acme =
            acme && proxy instanceof Proxy
                ? new AcmeAgent(
                      `${name}-acme`,
                      {
                          stack,
                          engine,
                          settings: acme,
                          domains: s.tls!.hostnames,
                          proxy: { name: proxy.name, containerId: proxy.container.containerId },
                          network: network.name,
                      },
                      { parent: this, dependsOn: [proxy] },
                  )
                : undefined;
        const edge = edgeOptions(s, stack, swarm);
        // The switch takes the thresholds instead of the flag (it renders the log from them).
        const { verify, ...edgeInputs } = edge;
        this.proxySwitch = new ProxySwitch(
            `${name}-switch`,
            {
                proxyContainer: proxy.name,
                proxyContainerId: proxy.revision,
                ...target,
                configVersion: renderProxyConfig(target, routing, edge).version,
                ...edgeInputs,
                ...(s.tls?.material
                    ? {
                          tlsCertificate: s.tls.material.certificate,
                          // A secret in state and previews; the provider writes it to a root-only file.
                          tlsKey: pulumi.secret(s.tls.material.key),
                      }
                    : {}),
                ...(verify
                    ? { verification: { ...s.verification, images: { blue: s.blueImage, green: s.greenImage } } }
                    : {}),
                publicUrl: nginxAt.url,
                probeFrom: nginxAt.from,
                ...(swarm ? { proxyIsService: true, confPath: SWARM_CONF_PATH, swarm: routing } : {}),
            },
            { parent: this, dependsOn: [...this.switchGates, ...(this.acme ? [this.acme.ready] : [])] },
        );

        // Outputs report what nginx serves (the switch's state), not only what config asks for.
        this.liveColor = this.proxySwitch.color;
        this.standbyColor = this.liveColor.apply(otherColor);
        this.liveImage = this.liveColor.apply((c) => imageOf(s, c));
        this.standbyImage = this.standbyColor.apply((c) => imageOf(s, c));
        this.proxyConfigVersion = this.proxySwitch.configVersion;
        this.maintenance = this.proxySwitch.maintenance.apply((m) => (m ? "on" : "off"));
        this.canary = this.proxySwitch.canary.apply((c) => (c ? `${c.percent}% of clients to ${c.color}` : "off"));
        this.verification = this.proxySwitch.verified.apply((v) =>
            v
                ? `${v.outcome}: ${v.summary}`
                : s.verification.seconds > 0
                  ? "not yet (no switch since it was turned on)"
                  : "off",
        );
        warnIfNotJudged(this.proxySwitch, this);
        if (s.tls) {
            this.httpsUrl = `https://127.0.0.1:${s.httpsPort}`;
        }
        if (s.tls?.material) {
            this.certificate = pulumi.output(s.tls.material.info);
            warnIfExpiring(s.tls.material.info, this);
        }
        if (this.acme) {
            // What the agent holds after the switch; it renews on its own from then on.
            const issued = this.acme.waitIssued(this.proxySwitch);
            this.certificate = pulumi
                .all([issued.issuer, issued.notAfter, issued.serial])
                .apply(([issuer, notAfter, serial]) => ({ issuer, notAfter, serial, names: s.tls!.hostnames }));
        }
        this.engine = engine.name;
        this.digests = { blue: this.slots.blue.image.digest, green: this.slots.green.image.digest };

        this.registerOutputs({
            liveColor: this.liveColor,
            liveImage: this.liveImage,
            standbyColor: this.standbyColor,
            standbyImage: this.standbyImage,
            url: this.url,
            blueUrl: this.blueUrl,
            greenUrl: this.greenUrl,
            proxyConfigVersion: this.proxyConfigVersion,
            httpsUrl: this.httpsUrl,
            certificate: this.certificate,
            maintenance: this.maintenance,
            canary: this.canary,
            verification: this.verification,
            engine: this.engine,
            blueDigest: this.digests.blue,
            greenDigest: this.digests.green,
        });
    }
}

/** The host nginx reaches a colour at on the stack's network (on a swarm, all its tasks). */
function colorHost(stack: string, color: Color, swarm: boolean): string {
    return swarm ? tasksHost(stack, color) : containerName(stack, color);
}

/** HTTPS, maintenance, a canary share and verification's log as nginx renders them, from validated settings. */
export function edgeOptions(s: Settings, stack: string, swarm: boolean): EdgeOptions {
    const confPath = swarm ? SWARM_CONF_PATH : NGINX_CONF_PATH;
    const idle = otherColor(s.liveColor);
    return {
        ...(s.tls
            ? {
                  tls: {
                      ...(s.tls.material
                          ? fingerprintFiles(s.tls.material.fingerprint, filesDirOf(confPath))
                          : {
                                certificate: ACME_BUNDLE_PATH,
                                key: ACME_BUNDLE_PATH,
                                acmeChallenge: ACME_AGENT_ADDRESS,
                            }),
                      redirect: s.tls.redirect,
                      httpsPort: s.httpsPort,
                  },
              }
            : {}),
        ...(s.maintenance.on ? { maintenance: { message: s.maintenance.message, healthPath: s.healthPath } } : {}),
        ...(s.canaryPercent > 0
            ? { canary: { percent: s.canaryPercent, color: idle, host: colorHost(stack, idle, swarm) } }
            : {}),
        ...(s.verification.seconds > 0 ? { verify: true } : {}),
    };
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

/** Preview and up say so when the certificate runs out soon (ACME renews on its own; a file does not). */
function warnIfExpiring(info: CertificateInfo, resource: pulumi.Resource): void {
    const days = daysLeft(info, new Date());
    if (days < EXPIRY_WARNING_DAYS) {
        pulumi.log.warn(
            `bluegreen:tlsCertificate expires in ${days} day(s), at ${info.notAfter} (${info.subject}): renew it soon`,
            resource,
        );
    }
}
