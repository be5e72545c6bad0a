// The parts of @pulumi/pulumi the program uses, each from its own module. The package's index also
// loads the Automation API, the provider server and the closure serializer: about 160 modules and
// 60 ms of every `pulumi up`, for nothing the program needs. Same classes as the index exports.
export { ComponentResource, createUrn, CustomResource, ProviderResource } from "@pulumi/pulumi/resource";
export type {
    Alias,
    ComponentResourceOptions,
    CustomResourceOptions,
    Resource,
    ResourceTransformation,
} from "@pulumi/pulumi/resource";
export type { Input, Inputs } from "@pulumi/pulumi/output";
export { Output } from "@pulumi/pulumi/output";
export { Config } from "@pulumi/pulumi/config";
export { RunError } from "@pulumi/pulumi/errors";
export { getStack } from "@pulumi/pulumi/metadata";
export type * as dynamic from "@pulumi/pulumi/dynamic";
export { all, interpolate, output, secret, unsecret } from "@pulumi/pulumi/output";
export * as log from "@pulumi/pulumi/log";
