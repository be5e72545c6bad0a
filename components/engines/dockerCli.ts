// The docker-CLI engine: each spec becomes one of this project's dynamic providers, which drive the
// docker CLI (so DOCKER_HOST and docker contexts work). Needs no resource plugin.
import { Engine, imageDigest } from "./engine";
import { registryHost } from "../core/imageRef";
import { pinnedNode, seededCommand, SwarmTarget } from "../core/engineRules";
import { Container } from "../providers/container";
import { Image } from "../providers/image";
import { Network } from "../providers/network";
import { SmokeTest } from "../providers/smokeTest";
import { SwarmService } from "../providers/swarmService";
import * as pulumi from "../sdk";

export function dockerCliEngine(swarm?: SwarmTarget): Engine {
    return {
        name: "docker-cli",
        image(name, spec, opts) {
            const image = new Image(name, { ref: spec.ref, registryAuth: spec.registryAuth }, opts);
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
                    ports: pulumi.output(spec.ports),
                    labels: spec.labels,
                    restart: spec.restart,
                    seedFiles: spec.files,
                },
                opts,
            );
            return { resource: container, containerId: container.containerId };
        },
        service(name, spec, image, opts) {
            const seeded = pulumi.output(spec.files).apply((files) => seededCommand({ files, command: spec.command }));
            const service = new SwarmService(
                name,
                {
                    name: spec.name,
                    image: image.ref,
                    imageId: image.imageId,
                    resolveImage: pulumi.output(image.ref).apply((ref) => registryHost(ref) !== undefined),
                    network: spec.network,
                    replicas: spec.replicas,
                    ports: pulumi.output(spec.ports),
                    labels: spec.labels,
                    nodeId: pinnedNode(spec, swarm),
                    command: seeded.apply((s) => s.command ?? []),
                    env: seeded.apply((s) => s.env),
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
