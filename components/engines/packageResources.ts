// The @pulumi/docker and @pulumi/command resources the docker-provider engine makes, registered by
// their type tokens the way the packages' own classes register them: same token, same inputs, same
// plugin version, same options. The classes' modules import the whole @pulumi/pulumi index (the
// Automation API, the provider server, about 150 modules) for two of its names; that cost about
// 0.5 s of every docker-provider `pulumi up` here (README, Release speed). The argument types are
// the packages' own, and test/unit/graph.test.ts checks that every registration here is the one the
// class makes.
import type * as docker from "@pulumi/docker";
import type * as command from "@pulumi/command";
import { CustomResource, output, ProviderResource } from "../sdk";
import type { CustomResourceOptions, Input, Output } from "../sdk";

/** The plugin version a package's classes ask for: its package.json's, without a leading "v". */
function packageVersion(name: "@pulumi/docker" | "@pulumi/command"): string {
    const version = (require(`${name}/package.json`) as { version: string }).version;
    return version.startsWith("v") ? version.slice(1) : version;
}

// The SDK's classes are abstract; the packages' classes add nothing but their constructors.
class PackageResource extends CustomResource {}
class PackageProvider extends ProviderResource {}

/** A resource of `type`, with an output for each input and each name in `outputs` (as the classes declare them). */
function register<O extends string>(
    version: string,
    type: string,
    name: string,
    inputs: object,
    outputs: readonly O[],
    opts: CustomResourceOptions,
): CustomResource & Record<O, Output<never>> {
    const props: Record<string, unknown> = { ...inputs };
    for (const key of outputs) if (!(key in props)) props[key] = undefined;
    return new PackageResource(type, name, props, { version, ...opts }) as CustomResource & Record<O, Output<never>>;
}

const dockerResource = <O extends string>(
    type: string,
    name: string,
    inputs: object,
    outputs: readonly O[],
    opts: CustomResourceOptions,
) => register(packageVersion("@pulumi/docker"), type, name, inputs, outputs, opts);

/** docker.RemoteImage. */
export function remoteImage(
    name: string,
    args: docker.RemoteImageArgs,
    opts: CustomResourceOptions,
): Pick<docker.RemoteImage, "imageId" | "repoDigest"> & CustomResource {
    return dockerResource("docker:index/remoteImage:RemoteImage", name, args, ["imageId", "repoDigest"], opts);
}

/** docker.Network. */
export function network(
    name: string,
    args: docker.NetworkArgs,
    opts: CustomResourceOptions,
): Pick<docker.Network, "name"> & CustomResource {
    return dockerResource("docker:index/network:Network", name, args, ["name"], opts);
}

/** docker.Container. */
export function container(name: string, args: docker.ContainerArgs, opts: CustomResourceOptions): CustomResource {
    return dockerResource("docker:index/container:Container", name, args, [], opts);
}

/** docker.Volume. */
export function volume(name: string, args: docker.VolumeArgs, opts: CustomResourceOptions): CustomResource {
    return dockerResource("docker:index/volume:Volume", name, args, [], opts);
}

/** docker.Service. */
export function service(name: string, args: docker.ServiceArgs, opts: CustomResourceOptions): CustomResource {
    return dockerResource("docker:index/service:Service", name, args, [], opts);
}

/** docker.Provider: its list and boolean settings travel as JSON text, as the class sends them. */
export function dockerProvider(
    name: string,
    args: Pick<docker.ProviderArgs, "host" | "sshOpts" | "registryAuth">,
    opts: CustomResourceOptions,
): ProviderResource {
    const json = (value: Input<object> | undefined) => output(value).apply((v) => JSON.stringify(v));
    const inputs = {
        disableDockerDaemonCheck: json(undefined),
        host: args.host ?? (process.env.DOCKER_HOST || undefined),
        registryAuth: json(args.registryAuth),
        sshOpts: json(args.sshOpts),
    };
    return new PackageProvider("docker", name, inputs, { version: packageVersion("@pulumi/docker"), ...opts });
}

/** command.local.Command: replaced when a trigger changes, as the class asks. */
export function localCommand(
    name: string,
    args: command.local.CommandArgs,
    opts: CustomResourceOptions,
): CustomResource {
    return register(
        packageVersion("@pulumi/command"),
        "command:local:Command",
        name,
        args,
        ["archive", "assets", "stderr", "stdout"],
        { ...opts, replaceOnChanges: [...(opts.replaceOnChanges ?? []), "triggers[*]"] },
    );
}
