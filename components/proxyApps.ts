// The apps behind one Proxy: their routes checked against each other before anything changes,
// whether the proxy is shared (then every app's switch records its routes), and the order their
// switches run in (each rewrites nginx's config from what the others recorded, so one at a time).
import * as pulumi from "./sdk";
import { SettingError } from "./args";
import { claimsRoute, type RouteSettings } from "./core/appSettings";
import { routeConflict, type RouteClaim } from "./core/routing";

/** An app as the proxy knows it. */
interface Joined {
    readonly name: string;
    readonly route: pulumi.Output<RouteSettings>;
    /** Whether it brings a certificate of its own for its hosts. */
    readonly ownCertificate: pulumi.Output<boolean>;
}

export class ProxyApps {
    private readonly joined: Joined[] = [];
    private readonly known: RouteClaim[] = [];
    private readonly switches: pulumi.Resource[] = [];
    private sealed = false;
    /** Resolves once the program's synchronous part, which creates the apps, has run. */
    private readonly allJoined: Promise<void>;

    /**
     * @param open the apps arrive one by one, each in an engine call of its own (the package's
     * plugin builds them for another language's program): each is checked against those before it,
     * and every app's switch records its routes.
     */
    constructor(
        private readonly proxy: string,
        private readonly open = false,
    ) {
        this.allJoined = open
            ? Promise.resolve()
            : new Promise((resolve) =>
                  setImmediate(() => {
                      this.sealed = true;
                      resolve();
                  }),
              );
    }

    /**
     * Takes an app. Its route is checked now against the other apps' when all are plain values
     * (the error comes from the App's constructor), else once they resolve. Returns whether the
     * app's switch records its routes: it claims hosts or a prefix, or shares the proxy.
     */
    join(
        name: string,
        route: pulumi.Output<RouteSettings>,
        known?: RouteSettings,
        ownCertificate: pulumi.Output<boolean> = pulumi.output(false),
    ): pulumi.Output<boolean> {
        if (this.sealed && this.joined.length > 0 && !this.open) {
            throw new pulumi.RunError(
                `App ${JSON.stringify(name)}: create every App of the Proxy ${JSON.stringify(this.proxy)} in the ` +
                    `program's first synchronous run (not inside an apply or after an await)`,
            );
        }
        if (known !== undefined) {
            this.known.push(claimOf(name, known));
            const conflict = routeConflict(this.known);
            if (conflict !== undefined) {
                throw new SettingError(`Proxy ${JSON.stringify(this.proxy)}: ${conflict}`);
            }
        }
        this.joined.push({ name, route, ownCertificate });
        // Open: the apps so far; else every app, once all have joined.
        const soFar = [...this.joined];
        const joined = pulumi.output(this.allJoined.then(() => true));
        return joined.apply(() => {
            const apps = this.open ? soFar : this.joined;
            return pulumi.all(apps.map((j) => j.route)).apply((routes: RouteSettings[]) => {
                const conflict = routeConflict(routes.map((r, i) => claimOf(apps[i].name, r)));
                if (conflict !== undefined) {
                    throw new SettingError(`Proxy ${JSON.stringify(this.proxy)}: ${conflict}`);
                }
                const own = routes[apps.findIndex((j) => j.name === name)];
                return this.open || apps.length > 1 || claimsRoute(own);
            });
        });
    }

    /** The switches of the apps before this one: its switch waits for them. */
    switchesSoFar(): pulumi.Resource[] {
        return [...this.switches];
    }

    addSwitch(proxySwitch: pulumi.Resource): void {
        this.switches.push(proxySwitch);
    }

    /** Every app's switch, once all apps have joined: what waits for the last switch waits for these. */
    allSwitches(): Promise<pulumi.Resource[]> {
        return this.allJoined.then(() => [...this.switches]);
    }

    /** The exact host names of the apps that bring no certificate of their own, sorted: what ACME must cover. */
    hostsToCertify(): pulumi.Output<string[]> {
        return pulumi
            .output(this.allJoined.then(() => true))
            .apply(() =>
                pulumi
                    .all(this.joined.map((j) => pulumi.all([j.route, j.ownCertificate])))
                    .apply((apps) =>
                        [...new Set(apps.flatMap(([route, own]) => (own ? [] : route.hosts)))]
                            .filter((host) => !host.startsWith("*."))
                            .sort(),
                    ),
            );
    }
}

function claimOf(name: string, route: RouteSettings): RouteClaim {
    return { app: `App ${JSON.stringify(name)}`, hosts: route.hosts, pathPrefix: route.pathPrefix };
}
