// Where the stack's containers run, as the swap sees it. Pure: the program and the CLI find the
// engine's address (DOCKER_HOST or the docker context), this file decides what follows from it.
// On this machine's engine, probes open 127.0.0.1 ports directly (the fast path). On any other
// (ssh://, tcp://), nothing the containers publish is reachable from here, so every probe runs
// through the Docker API alone: from inside the proxy's container, on the stack's network.
import { ConfigError } from "./configError";
import { Color } from "./color";
import { containerName, loopbackUrl } from "./names";
import { PROXY_LISTEN_PORT } from "./nginx";
import { prefixPath, probeHost } from "./routing";

export interface SshTarget {
    /** `user@host` (or `host`), as ssh takes it. */
    readonly destination: string;
    readonly port?: number;
}

export interface Site {
    /** `local`: the engine runs on this machine. `remote`: anywhere else. */
    readonly kind: "local" | "remote";
    /** The engine's address, for messages: `unix:///var/run/docker.sock`, `ssh://deploy@host`. */
    readonly address: string;
    /** For an `ssh://` engine: where ssh connects (the docker provider and tunnels need it). */
    readonly ssh?: SshTarget;
}

export const DEFAULT_ENGINE_ADDRESS = "unix:///var/run/docker.sock";

/** The site of the engine at `address` (DOCKER_HOST's syntax); empty or undefined is the local socket. */
export function siteOf(address: string | undefined): Site {
    const value = (address ?? "").trim();
    if (value === "" || value.startsWith("unix://") || value.startsWith("npipe://")) {
        return { kind: "local", address: value || DEFAULT_ENGINE_ADDRESS };
    }
    const ssh = /^ssh:\/\/(?:([A-Za-z0-9._-]+)@)?([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::([0-9]{1,5}))?\/?$/.exec(value);
    if (ssh) {
        const [, user, host, port] = ssh;
        return {
            kind: "remote",
            address: value,
            ssh: { destination: user ? `${user}@${host}` : host, ...(port ? { port: Number(port) } : {}) },
        };
    }
    if (/^(tcp|http|https):\/\//.test(value)) {
        return { kind: "remote", address: value };
    }
    throw new ConfigError(
        `DOCKER_HOST (or the docker context) is ${JSON.stringify(value)}: expected unix:///path, ` +
            `ssh://[user@]host[:port] or tcp://host:port`,
    );
}

/** Where a probe starts: this machine, or inside a container of the stack (through `docker exec`). */
export interface Vantage {
    /** A container's name; with `service`, a Swarm service whose running task on this node is used. */
    readonly name: string;
    readonly service?: boolean;
}

/** An HTTP endpoint as a probe reaches it: `url` opened from here, or from inside `from`. */
export interface Endpoint {
    readonly url: string;
    readonly from?: Vantage;
    /** The Host header to send, for an app that claims host names on a shared proxy. */
    readonly hostHeader?: string;
}

/** How the health gate reaches a colour's container (`<app>-<color>`) behind the proxy `<proxy>-proxy`. */
export function colourEndpoint(
    site: Site,
    names: { readonly app: string; readonly proxy: string },
    color: Color,
    ports: { readonly hostPort: number; readonly appPort: number },
    swarm = false,
): Endpoint {
    if (site.kind === "local") {
        return { url: loopbackUrl(ports.hostPort) };
    }
    // From the proxy, by the colour's name on the stack's network: the path nginx itself will take.
    return {
        url: `http://${containerName(names.app, color)}:${ports.appPort}`,
        from: { name: containerName(names.proxy, "proxy"), ...(swarm ? { service: true } : {}) },
    };
}

/** How the switch, the guard and `status` reach the public listener of the proxy `<proxy>-proxy`. */
export function proxyEndpoint(site: Site, proxy: string, publicPort: number, swarm: boolean): Endpoint {
    if (site.kind === "local") {
        return { url: loopbackUrl(publicPort) };
    }
    return {
        url: loopbackUrl(PROXY_LISTEN_PORT),
        from: { name: containerName(proxy, "proxy"), ...(swarm ? { service: true } : {}) },
    };
}

/** What went wrong reaching the engine, from the docker CLI's error text: [what failed, remedy]. */
const ENGINE_FAILURES: [RegExp, string, string][] = [
    [
        /Permission denied \(|Too many authentication failures/,
        "ssh refused the key",
        "add your public key to ~/.ssh/authorized_keys there, or name the right one (IdentityFile in ~/.ssh/config)",
    ],
    [
        /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/,
        "ssh does not trust the host key",
        "add the host to ~/.ssh/known_hosts (ssh-keyscan HOST >> ~/.ssh/known_hosts)",
    ],
    [
        /Could not resolve hostname|Name or service not known|no such host/i,
        "the host name does not resolve",
        "check the host in DOCKER_HOST",
    ],
    [
        /Connection refused/,
        "nothing accepts connections on its ssh port",
        "start sshd there, or fix the port in DOCKER_HOST",
    ],
    [
        /Connection timed out|No route to host|Network is unreachable|Operation timed out|i\/o timeout/i,
        "the host is unreachable",
        "check the address and the network between here and there",
    ],
    [
        /permission denied while trying to connect to the Docker daemon/i,
        "the ssh user may not use Docker there",
        "add the user to the docker group there",
    ],
    [
        /Cannot connect to the Docker daemon|Is the docker daemon running|docker\.sock: connect/i,
        "the Docker daemon there does not answer",
        "start it there (systemctl start docker)",
    ],
    [
        /docker: (command )?not found|command not found|No such file or directory.*docker/i,
        "there is no docker command on the host",
        "install Docker there (the ssh user's PATH must find docker)",
    ],
];

/** One line naming the engine and what failed reaching it (the program stops before any change). */
export function describeEngineFailure(site: Site, output: string): string {
    const found = ENGINE_FAILURES.find(([pattern]) => pattern.test(output));
    const detail = output
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line.length > 0)
        .pop();
    const what = found ? `${found[1]}; ${found[2]}` : `it does not answer (${(detail ?? "no output").slice(0, 200)})`;
    return `cannot reach the Docker engine at ${site.address}: ${what}; nothing was changed`;
}

/**
 * nginx's listener as one app on a shared proxy is reached through it: under its path prefix, with
 * one of its host names; `route` undefined: the app alone, the listener itself.
 */
export function appEndpoint(
    at: Endpoint,
    route: { readonly hosts: readonly string[]; readonly pathPrefix: string } | undefined,
): Endpoint {
    if (route === undefined) {
        return at;
    }
    const hostHeader = probeHost(route.hosts);
    return { ...at, url: at.url + prefixPath(route.pathPrefix), ...(hostHeader ? { hostHeader } : {}) };
}
