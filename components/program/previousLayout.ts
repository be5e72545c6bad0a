// The stack program's resources as the releases before the Proxy/App API named them: one
// `bluegreen:index:BlueGreenService` called "bluegreen" held everything. Aliases let a stack
// deployed then upgrade with no container replaced (test/library/upgrade.test.ts, aliases.test.ts). Only index.ts uses this.
import * as pulumi from "../sdk";

const SERVICE_TYPE = "bluegreen:index:BlueGreenService";
const SERVICE_NAME = "bluegreen";

/** The App's alias: it is the old service (its children, named `<stack>-...`, follow by prefix). */
export function previousApp(): pulumi.Alias[] {
    return [{ name: SERVICE_NAME, type: SERVICE_TYPE }];
}

/**
 * For the Proxy's children, which were the old service's: the network, nginx (a component then
 * typed `bluegreen:index:Proxy`, or `SwarmProxy`), the ACME agent and a remote engine's docker
 * provider. Their own children follow by prefix.
 */
export function previousProxyChildren(stack: string): pulumi.ResourceTransformation {
    const service = pulumi.createUrn(SERVICE_NAME, SERVICE_TYPE);
    const renamed: Record<string, { readonly name: string; readonly type?: string }> = {
        [`${stack}-network`]: { name: "bluegreen-network" },
        [`${stack}-network-docker`]: { name: "bluegreen-network-docker" },
        [`${stack}-acme`]: { name: "bluegreen-acme" },
        [`${stack}-proxy`]: { name: "bluegreen-proxy" },
    };
    return ({ name, type, props, opts }) => {
        const old = renamed[name];
        if (old === undefined) {
            return undefined;
        }
        // nginx's container component was the old `Proxy`, the name the public component has now.
        const oldType = type === "bluegreen:index:ProxyContainer" ? "bluegreen:index:Proxy" : undefined;
        const alias: pulumi.Alias = { name: old.name, parent: service, ...(oldType ? { type: oldType } : {}) };
        return { props, opts: { ...opts, aliases: [...(opts.aliases ?? []), alias] } };
    };
}
