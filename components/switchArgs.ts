// How an App's settings become its proxy switch's inputs: the live colour, what the edge does
// (HTTPS, maintenance, a canary share, verification's log) and where nginx is.
import * as pulumi from "./sdk";
import { ACME_AGENT_ADDRESS, ACME_BUNDLE_PATH } from "./acmeAgent";
import { otherColor } from "./core/color";
import type { AppSettings } from "./core/appSettings";
import type { TlsMaterial } from "./core/certificates";
import { EdgeOptions, filesDirOf, fingerprintFiles } from "./core/nginx";
import { recordVersion } from "./core/nginx/apps";
import type { ProxySettings } from "./core/proxySettings";
import type { Endpoint } from "./core/site";
import type { Placement } from "./placement";
import type { ProxySwitchArgs } from "./providers/proxySwitch";

/** The proxy switch's inputs: the live colour, what the edge does, where nginx is. */
export function switchArgs(
    app: string,
    s: pulumi.Output<AppSettings>,
    p: pulumi.Output<ProxySettings>,
    placement: Placement,
    nginxAt: pulumi.Output<Endpoint>,
    routed: pulumi.Output<boolean>,
    own: pulumi.Output<TlsMaterial | undefined>,
): ProxySwitchArgs {
    const target = s.apply((x) => ({ color: x.liveColor, host: placement.host(x.liveColor), port: x.appPort }));
    const edge = pulumi.all([s, p]).apply(([x, ps]) => edgeOptions(x, ps, placement));
    const routing = placement.switchTarget.swarm;
    const material = p.apply((ps) => ps.tls?.material);
    // Only on a shared proxy: an app alone keeps the inputs (and the config) it had before.
    const route = pulumi.all([s, routed]).apply(([x, r]) => (r ? x.route : undefined));
    // The app's own certificate: files named by its fingerprint, like the proxy's.
    const hostTls = own.apply((m) => (m ? fingerprintFiles(m.fingerprint, filesDirOf(placement.confPath)) : undefined));
    return {
        ...placement.switchTarget,
        app: routed.apply((r) => (r ? app : undefined)),
        route,
        color: target.color,
        host: target.host,
        port: target.port,
        configVersion: pulumi
            .all([target, edge, route, hostTls])
            .apply(([t, e, r, h]) => recordVersion({ app, target: t, edge: e, swarm: routing, route: r, hostTls: h })),
        tls: edge.tls,
        maintenance: edge.maintenance,
        canary: edge.canary,
        tlsCertificate: material.apply((m) => m?.certificate),
        // A secret in state and previews; the provider writes it to a root-only file.
        tlsKey: material.apply((m) => (m ? pulumi.secret(m.key) : undefined)) as pulumi.Output<string | undefined>,
        hostTls,
        hostTlsCertificate: own.apply((m) => m?.certificate),
        hostTlsKey: own.apply((m) => (m ? pulumi.secret(m.key) : undefined)) as pulumi.Output<string | undefined>,
        verification: s.apply((x) =>
            x.verification.seconds > 0
                ? { ...x.verification, images: { blue: x.blueImage, green: x.greenImage } }
                : undefined,
        ),
        publicUrl: nginxAt.url,
        probeFrom: nginxAt.from,
    };
}

/** HTTPS, maintenance, a canary share and verification's log as nginx renders them, from validated settings. */
export function edgeOptions(
    s: AppSettings,
    p: ProxySettings,
    placement: Pick<Placement, "confPath" | "host">,
): EdgeOptions {
    const idle = otherColor(s.liveColor);
    return {
        ...(p.tls
            ? {
                  tls: {
                      ...(p.tls.material
                          ? fingerprintFiles(p.tls.material.fingerprint, filesDirOf(placement.confPath))
                          : {
                                certificate: ACME_BUNDLE_PATH,
                                key: ACME_BUNDLE_PATH,
                                acmeChallenge: ACME_AGENT_ADDRESS,
                            }),
                      redirect: s.tlsRedirect ?? p.tls.redirect,
                      httpsPort: p.httpsPort,
                  },
              }
            : {}),
        ...(s.maintenance.on ? { maintenance: { message: s.maintenance.message, healthPath: s.healthPath } } : {}),
        ...(s.canaryPercent > 0
            ? { canary: { percent: s.canaryPercent, color: idle, host: placement.host(idle) } }
            : {}),
        ...(s.verification.seconds > 0 ? { verify: true } : {}),
    };
}
