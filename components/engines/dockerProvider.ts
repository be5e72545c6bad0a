// The docker-provider engine: each spec becomes a resource of @pulumi/docker (or @pulumi/command for
// the smoke test), for machines where those resource plugins are installed or can be downloaded.
// The resources are registered by token (packageResources.ts), without loading the packages' modules.
import * as packaged from "./packageResources";
import { Engine, imageDigest } from "./engine";
import { ENGINE_LABEL, pinnedNode, seededCommand, SwarmTarget } from "../core/engineRules";
import type { RegistryLogins } from "../core/validate";
import { SmokeTest } from "../providers/smokeTest";
import { filesVolume } from "../core/names";
import { Site } from "../core/site";
import { SSH_MUX_OPTIONS, sshMuxEnabled } from "../runtime/sshMux";
import * as pulumi from "../sdk";

/** On a service's task containers: the image ID the manager resolved its reference to. */
const IMAGE_ID_LABEL = "io.bluegreen.image-id";

/** `dependsOn` as a list, whatever form the caller gave it in (resolved inputs only). */
function dependencies(dependsOn: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Resource[] {
    if (dependsOn === undefined) return [];
    return (Array.isArray(dependsOn) ? dependsOn : [dependsOn]) as pulumi.Resource[];
}

function labelList(labels: Record<string, string>) {
    return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

export function dockerProviderEngine(swarm?: SwarmTarget, site?: Site): Engine {
    // A remote engine's address (from DOCKER_HOST or the docker context, as the docker CLI finds it)
    // goes on an explicit provider that every resource uses. A local engine keeps the default
    // provider, so deployed stacks see no provider change.
    const remote = site?.kind === "remote" ? site : undefined;
    const address = remote
        ? {
              host: remote.address,
              ...(remote.ssh && sshMuxEnabled() ? { sshOpts: [...SSH_MUX_OPTIONS] } : {}),
          }
        : {};
    let shared: pulumi.ProviderResource | undefined;
    // Registry logins beyond the Docker client's own config are the provider's, not a pull's: each
    // set of logins (an app's) gets a provider of its own, named after the first image that needs it.
    const withLogins = new Map<pulumi.Input<RegistryLogins>, pulumi.ProviderResource>();
    const withProvider = (
        name: string,
        opts: pulumi.CustomResourceOptions,
        registryAuth?: pulumi.Input<RegistryLogins>,
    ): pulumi.CustomResourceOptions => {
        if (registryAuth !== undefined) {
            let provider = withLogins.get(registryAuth);
            if (provider === undefined) {
                provider = packaged.dockerProvider(
                    `${name}-docker`,
                    {
                        ...address,
                        registryAuth: pulumi
                            .output(registryAuth)
                            .apply((auth) =>
                                Object.entries(auth).map(([host, login]) => ({ address: host, ...login })),
                            ),
                    },
                    { parent: opts.parent },
                );
                withLogins.set(registryAuth, provider);
            }
            return { ...opts, provider };
        }
        if (remote === undefined) {
            return opts;
        }
        shared ??= packaged.dockerProvider(`${name}-docker`, address, { parent: opts.parent });
        return { ...opts, provider: shared };
    };
    return {
        name: "docker-provider",
        image(name, spec, opts) {
            // Kept on the engine when the stack moves on: the standby and a rollback may still need it.
            const image = packaged.remoteImage(
                name,
                { name: spec.ref, keepLocally: true },
                withProvider(name, opts, spec.registryAuth),
            );
            return {
                resource: image,
                imageId: image.imageId,
                digest: imageDigest(image),
                registryAuth: spec.registryAuth,
            };
        },
        network(name, spec, opts) {
            const overlay = spec.driver === "overlay";
            const network = packaged.network(
                name,
                {
                    name: spec.name,
                    labels: labelList(spec.labels),
                    ...(overlay ? { driver: "overlay", attachable: true } : {}),
                },
                withProvider(name, opts),
            );
            return { resource: network, name: network.name };
        },
        container(name, spec, image, opts) {
            const container = packaged.container(
                name,
                {
                    name: spec.name,
                    image: image.imageId,
                    ...(spec.namespacesOf
                        ? {
                              networkMode: pulumi.interpolate`container:${spec.namespacesOf}`,
                              pidMode: pulumi.interpolate`container:${spec.namespacesOf}`,
                          }
                        : { networksAdvanced: [{ name: spec.network }] }),
                    ...(spec.volumes
                        ? {
                              volumes: pulumi
                                  .output(spec.volumes)
                                  .apply((vs) => vs.map((v) => ({ volumeName: v.name, containerPath: v.path }))),
                          }
                        : {}),
                    ...(spec.env
                        ? {
                              envs: pulumi
                                  .output(spec.env)
                                  .apply((env) => Object.entries(env).map(([k, v]) => `${k}=${v}`)),
                          }
                        : {}),
                    ports: spec.ports.map((p) => ({ internal: p.containerPort, external: p.hostPort, ip: p.hostIp })),
                    labels: labelList({ ...spec.labels, [ENGINE_LABEL]: "docker-provider" }),
                    restart: spec.restart,
                    uploads: spec.files.map((f) => ({ file: f.path, content: f.content })),
                },
                {
                    ...withProvider(name, opts, image.registryAuth),
                    // Fixed names: the old container must go before the new one can take its name.
                    deleteBeforeReplace: true,
                    // Files matter at the first start only; their owner (the proxy switch) changes them
                    // later, so a new placeholder text must not recreate the proxy.
                    ignoreChanges: ["uploads"],
                },
            );
            return { resource: container, containerId: container.id };
        },
        service(name, spec, image, opts) {
            const seeded = pulumi.output(spec.files).apply((files) => seededCommand({ files, command: spec.command }));
            const nodeId = pinnedNode(spec, swarm);
            const labels = { ...spec.labels, [ENGINE_LABEL]: "docker-provider" };
            // The files volume as a resource of its own: a mount alone would make it implicitly, and
            // destroy would leave it behind. Made before the service, removed after it (the provider
            // waits while a stopping task still uses it).
            const volume = spec.filesDir
                ? packaged.volume(
                      `${name}-files`,
                      { name: filesVolume(spec.name), labels: labelList(labels) },
                      withProvider(name, opts, image.registryAuth),
                  )
                : undefined;
            const service = packaged.service(
                name,
                {
                    name: spec.name,
                    labels: labelList(labels),
                    mode: { replicated: { replicas: spec.replicas } },
                    // DNS round-robin, host-mode ports: no routing mesh between nginx and the tasks.
                    endpointSpec: {
                        mode: "dnsrr",
                        ports: spec.ports.map((p) => ({
                            targetPort: p.target,
                            publishedPort: p.published,
                            publishMode: "host",
                            protocol: "tcp",
                        })),
                    },
                    taskSpec: {
                        containerSpec: {
                            image: image.ref,
                            // The image's ID on the manager: a rebuilt tag changes the task spec
                            // (so the service is replaced), and the service waits for the image.
                            labels: image.imageId.apply((id) => labelList({ ...labels, [IMAGE_ID_LABEL]: id })),
                            ...(spec.command ? { commands: seeded.apply((s) => s.command ?? []) } : {}),
                            ...(spec.filesDir ? { env: seeded.apply((s) => s.env) } : {}),
                            ...(spec.filesDir
                                ? {
                                      mounts: [
                                          { type: "volume", source: filesVolume(spec.name), target: spec.filesDir },
                                      ],
                                  }
                                : {}),
                        },
                        networksAdvanceds: [{ name: spec.network }],
                        ...(nodeId ? { placement: { constraints: [`node.id==${nodeId}`] } } : {}),
                        restartPolicy: { condition: "any", delay: "1s" },
                    },
                },
                {
                    ...withProvider(name, opts, image.registryAuth),
                    dependsOn: volume ? [...dependencies(opts.dependsOn), volume] : opts.dependsOn,
                    deleteBeforeReplace: true,
                    replaceOnChanges: ["taskSpec.containerSpec.image"],
                },
            );
            return { resource: service, serviceId: service.id };
        },
        smokeTest(name, spec, opts) {
            if (spec.tunnel !== undefined) {
                // command.local.Command cannot open the ssh tunnel TARGET_URL needs: this project's provider can.
                return new SmokeTest(name, spec, opts);
            }
            return packaged.localCommand(
                name,
                {
                    create: spec.command,
                    update: spec.command,
                    environment: { TARGET_URL: spec.targetUrl, TARGET_COLOR: spec.color },
                    triggers: [spec.containerId, spec.command, spec.targetUrl],
                },
                opts,
            );
        },
    };
}
