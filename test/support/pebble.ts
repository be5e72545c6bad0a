// A local ACME server for the ACME suite: Debian's pebble and its mock DNS (pebble-challtestsrv),
// each in a container on the stack's network (the host's binaries mounted into the local nginx
// image, which has the C library they link). The mock DNS answers every name with the proxy's
// address there, so pebble's HTTP-01 validation reaches nginx on port 80.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, dockerOk } from "../../components/runtime/docker";
import { caSigned } from "./certs";

export interface Pebble {
    /** The directory URL, as the ACME agent (on the stack's network) reaches it. */
    readonly directory: string;
    /** The root the directory's own HTTPS chains to (tlsAcmeDirectoryCa). */
    readonly directoryCa: string;
    /** The root pebble's certificates chain to (it makes a new one at each start). */
    root(): Promise<string>;
    stop(): Promise<void>;
    start(): Promise<void>;
    remove(): Promise<void>;
}

const IMAGE = "bluegreen-nginx:local";

function binary(name: string): string {
    const found = childProcess.spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
    if (found === "") {
        throw new Error(`${name} is not installed (Debian's pebble package; make setup installs it)`);
    }
    return found;
}

export async function addressOn(container: string, network: string): Promise<string> {
    return dockerOk(["inspect", "--format", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container]);
}

/** Starts pebble for the stack `stack` (network `<stack>-net`), its certificates valid `validitySeconds`. */
export async function startPebble(stack: string, validitySeconds: number): Promise<Pebble> {
    const network = `${stack}-net`;
    const dns = `${stack}-acmedns`;
    const server = `${stack}-pebble`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-pebble-"));
    const listener = caSigned({ names: [`DNS:${server}`] });
    fs.writeFileSync(path.join(dir, "cert.pem"), listener.certificate);
    fs.writeFileSync(path.join(dir, "key.pem"), listener.key);
    fs.writeFileSync(
        path.join(dir, "config.json"),
        JSON.stringify({
            pebble: {
                listenAddress: "0.0.0.0:14000",
                managementListenAddress: "0.0.0.0:15000",
                certificate: "/cfg/cert.pem",
                privateKey: "/cfg/key.pem",
                httpPort: 80,
                tlsPort: 443,
                ocspResponderURL: "",
                externalAccountBindingRequired: false,
                certificateValidityPeriod: validitySeconds,
            },
        }),
    );
    const proxyAddress = await addressOn(`${stack}-proxy`, network);
    await docker(["rm", "-f", dns, server]);
    const challtestsrv = binary("pebble-challtestsrv");
    await dockerOk([
        "run", "--detach", "--name", dns, "--network", network, "--label", `io.bluegreen.test=${stack}`,
        "--volume", `${challtestsrv}:/usr/local/bin/pebble-challtestsrv:ro`, "--entrypoint", "pebble-challtestsrv",
        IMAGE, "-defaultIPv4", proxyAddress, "-defaultIPv6", "", "-dns01", ":8053",
        "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", ":8055",
    ]); // prettier-ignore
    const dnsAddress = await addressOn(dns, network);
    await dockerOk([
        "run", "--detach", "--name", server, "--network", network, "--label", `io.bluegreen.test=${stack}`,
        // No random validation delays, no rejected nonces: the suite's clock is the agent's.
        "--env", "PEBBLE_VA_NOSLEEP=1", "--env", "PEBBLE_WFE_NONCEREJECT=0",
        "--volume", `${dir}:/cfg:ro`, "--volume", `${binary("pebble")}:/usr/local/bin/pebble:ro`,
        "--entrypoint", "pebble", IMAGE, "-config", "/cfg/config.json", "-dnsserver", `${dnsAddress}:8053`,
    ]); // prettier-ignore
    const root = async () => {
        const address = await addressOn(server, network);
        const deadline = Date.now() + 20000;
        for (;;) {
            const result = childProcess.spawnSync(
                "curl",
                ["-sSk", "--max-time", "2", `https://${address}:15000/roots/0`],
                { encoding: "utf8" },
            );
            if (result.status === 0 && result.stdout.includes("BEGIN CERTIFICATE")) {
                return result.stdout;
            }
            if (Date.now() > deadline) {
                throw new Error(`pebble did not answer on its management port: ${result.stderr}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 250));
        }
    };
    await root(); // up and answering
    return {
        directory: `https://${server}:14000/dir`,
        directoryCa: listener.ca,
        root,
        stop: async () => void (await dockerOk(["stop", "--time", "1", server])),
        start: async () => {
            await dockerOk(["start", server]);
            await root();
        },
        remove: async () => {
            await docker(["rm", "-f", dns, server]);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
