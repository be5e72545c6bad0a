// The Apps of one Proxy (components/proxyApps.ts): in a TypeScript program all join in its first
// synchronous run; built by the package's plugin for another language (open), they join one by
// one, each checked against those before it.
import * as assert from "assert";
import * as pulumi from "../../components/sdk";
import type { RouteSettings } from "../../components/core/appSettings";
import { ProxyApps } from "../../components/proxyApps";

const api: RouteSettings = { hosts: ["api.example.test"], pathPrefix: "/", stripPathPrefix: true };
const afterThisRun = () => new Promise((resolve) => setImmediate(resolve));

describe("the Apps of one Proxy (ProxyApps)", () => {
    it("in a program: refuses an App that joins after the first synchronous run", async () => {
        const apps = new ProxyApps("edge");
        apps.join("api", pulumi.output(api), api);
        await afterThisRun();
        assert.throws(
            () => apps.join("web", pulumi.output({ ...api, hosts: ["www.example.test"] })),
            /^Error: App "web": create every App of the Proxy "edge" in the program's first synchronous run/,
        );
    });

    it("open (the package's plugin): takes Apps one by one, refusing a host and prefix claimed before, naming both", async () => {
        const apps = new ProxyApps("edge", true);
        apps.join("api", pulumi.output(api), api);
        await afterThisRun();
        const web = { ...api, hosts: ["www.example.test"] };
        apps.join("web", pulumi.output(web), web);
        await afterThisRun();
        assert.throws(
            () => apps.join("shop", pulumi.output(api), api),
            /Proxy "edge": App "api" and App "shop" both claim api\.example\.test with path prefix \/: one app per host and prefix/,
        );
    });
});
