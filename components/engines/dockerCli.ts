// The docker-CLI engine: each spec becomes one of this project's dynamic providers, which drive the
// docker CLI (so DOCKER_HOST and docker contexts work). Needs no resource plugin.
import { Engine, imageDigest, pinnedNode, seededCommand, SwarmTarget } from "../engine";
import { registryHost } from "../imageRef";
import { Container } from "../providers/container";
import { Image, RegistryAuth } from "../providers/image";
import { Network } from "../providers/network";
import { SmokeTest } from "../providers/smokeTest";
import { SwarmService } from "../providers/swarmService";
import * as pulumi from "../sdk";

export function dockerCliEngine(registryAuth?: pulumi.Input<RegistryAuth>, swarm?: SwarmTarget): Engine {
    return {
        name: "docker-cli",
        image(name, spec, opts) {
            const image = new Image(name, { ref: spec.ref, registryAuth }, opts);
            return { resource: image, imageId: image.imageId, digest: imageDigest(image) };
        },
        network(name, spec, opts) {
            const network = new Network(name, { name: spec.name, labels: spec.labels, driver: spec.driver }, opts);
            return { resource: network, name: network.name };
        },
        container(name, spec, image, opts) {
            const container = new Container(
                name,
                {
                    name: spec.name,
                    image: image.ref,
                    imageId: image.imageId,
                    network: spec.network,
                    ...(spec.namespacesOf ? { namespacesOf: spec.namespacesOf } : {}),
                    ...(spec.volumes ? { volumes: spec.volumes } : {}),
                    ...(spec.env ? { env: spec.env } : {}),
                    ports: spec.ports,
                    labels: spec.labels,
                    restart: spec.restart,
                    seedFiles: spec.files,
                },
                opts,
            );
            return { resource: container, containerId: container.containerId };
        },
        service(name, spec, image, opts) {
            const { command, env } = seededCommand(spec);
            const service = new SwarmService(
                name,
                {
                    name: spec.name,
                    image: image.ref,
                    imageId: image.imageId,
                    resolveImage: registryHost(image.ref) !== undefined,
                    network: spec.network,
                    replicas: spec.replicas,
                    ports: spec.ports,
                    labels: spec.labels,
                    nodeId: pinnedNode(spec, swarm),
                    command: command ?? [],
                    env,
                    filesDir: spec.filesDir ?? "",
                },
                opts,
            );
            return { resource: service, serviceId: service.serviceId };
        },
        smokeTest(name, spec, opts) {
            return new SmokeTest(name, spec, opts);
        },
    };
}
