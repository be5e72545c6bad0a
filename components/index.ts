// bluegreen's public API: `import { Proxy, App } from "bluegreen"`. A Proxy is nginx on a Docker
// network; each App behind it is two colour slots released by changing the App's inputs.
export { Proxy, Engine, Orchestrator } from "./proxy";
export type { ProxyArgs, RegistryLogin } from "./proxy";
export { App, Color } from "./app";
export type { AppArgs, CertificateSummary, ColorDigests, ProxyRef, VolumeMount } from "./app";
