import * as pulumi from "./sdk";
import { AcmeSettings } from "./core/proxySettings";
import { ContainerHandle, Engine, ImageHandle } from "./engines/engine";
import { containerName, MANAGED_LABEL } from "./core/names";
import { AcmeGate } from "./providers/acmeGate";

/** Where the agent answers challenges, inside the proxy's network namespace (nginx forwards them). */
export const ACME_AGENT_ADDRESS = "127.0.0.1:8402";
/** Where the agent puts the certificate chain and key, one file, in the proxy's filesystem. */
export const ACME_TARGET_DIR = "/etc/nginx/bluegreen-acme";
export const ACME_BUNDLE_PATH = `${ACME_TARGET_DIR}/bundle.pem`;
/** How long the first issuance (or a new name set) may take before the update fails. */
export const ACME_ISSUE_TIMEOUT_SECONDS = 180;

export interface AcmeAgentArgs {
    /** The proxy's name; the agent's container is `<name>-acme`, its state the volume `<name>-acme`. */
    readonly name: string;
    /** Maps the agent's image and container to resources. */
    readonly engine: Engine;
    readonly settings: pulumi.Input<AcmeSettings>;
    /** The names to certify (`tlsHostnames`, then the apps' hosts). */
    readonly domains: pulumi.Input<string[]>;
    /** The proxy's container (name and ID): the agent shares its network and PID namespaces. */
    readonly proxy: { readonly name: string; readonly containerId: pulumi.Input<string> };
    /** The stack's network (unused by a container in another's namespaces, kept for the spec). */
    readonly network: pulumi.Input<string>;
}

/**
 * The ACME agent beside the proxy (images/acme): it obtains the certificate over HTTP-01 through
 * nginx, renews it when due and reloads nginx, without any `pulumi up`. `ready` gates the proxy
 * switch (a certificate, at first a placeholder, is in place for nginx to load); `waitIssued`
 * makes the update wait for the real one after the switch.
 */
export class AcmeAgent extends pulumi.ComponentResource {
    public readonly image: ImageHandle;
    public readonly container: ContainerHandle;
    public readonly ready: AcmeGate;
    public readonly name: string;
    private readonly args: AcmeAgentArgs;
    private readonly resourceName: string;

    constructor(name: string, args: AcmeAgentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:index:AcmeAgent", name, {}, opts);
        this.args = args;
        this.resourceName = name;
        this.name = containerName(args.name, "acme");
        const acme = pulumi.output(args.settings);
        const image = acme.apply((a) => a.image);
        this.image = args.engine.image(`${name}-image`, { ref: image }, { parent: this });
        this.container = args.engine.container(
            `${name}-container`,
            {
                name: this.name,
                network: args.network,
                namespacesOf: args.proxy.containerId,
                ports: [],
                labels: { [MANAGED_LABEL]: args.name, "io.bluegreen.role": "acme" },
                restart: "unless-stopped",
                files: [],
                // Account key, certificate and status outlive the container (and a destroy: no new
                // order, and no rate limit, when the stack comes back).
                volumes: [{ name: this.name, path: "/acme" }],
                env: pulumi.all([acme, args.domains]).apply(([a, domains]) => acmeEnv(a, domains)),
            },
            { ...this.image, ref: image },
            { parent: this },
        );
        this.ready = this.gate("ready", 60, Promise.resolve([]));
        this.registerOutputs({ containerId: this.container.containerId });
    }

    /**
     * Waits, after `after` (every app's proxy switch), until nginx serves a certificate from the
     * directory: one gate for all the apps of the proxy, made at the first call.
     */
    public waitIssued(after: Promise<pulumi.Resource[]>): AcmeGate {
        this.issued ??= this.gate("issued", ACME_ISSUE_TIMEOUT_SECONDS, after);
        return this.issued;
    }

    private issued?: AcmeGate;

    /** The names the certificate covers. */
    public get domains(): pulumi.Output<string[]> {
        return pulumi.output(this.args.domains);
    }

    private gate(wait: "ready" | "issued", timeoutSeconds: number, after: Promise<pulumi.Resource[]>): AcmeGate {
        const dependsOn: Promise<pulumi.Resource[]> = after.then((a) => [this.container.resource, ...a]);
        return new AcmeGate(
            `${this.resourceName}-${wait}`,
            {
                container: this.name,
                containerId: this.container.containerId,
                wait,
                domains: this.args.domains,
                directory: pulumi.output(this.args.settings).apply((a) => a.directory),
                timeoutSeconds,
            },
            { parent: this, dependsOn },
        );
    }
}

/** The agent's environment (images/acme reads it). */
function acmeEnv(acme: AcmeSettings, domains: readonly string[]): Record<string, string> {
    return {
        ACME_DIRECTORY: acme.directory,
        ACME_EMAIL: acme.email,
        ACME_DOMAINS: domains.join(","),
        ACME_LISTEN: ACME_AGENT_ADDRESS,
        ACME_TARGET: ACME_TARGET_DIR,
        ...(acme.directoryCa ? { ACME_DIRECTORY_CA: acme.directoryCa } : {}),
    };
}
