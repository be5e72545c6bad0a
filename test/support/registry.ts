// A real image registry for tests: Debian's docker-registry, on a free 127.0.0.1 port, with its
// storage in a temporary directory. The Docker engine trusts 127.0.0.0/8 registries over HTTP.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { docker, dockerOk } from "../../components/runtime/docker";
import { probe, sleep } from "../../components/runtime/probe";

export interface TestRegistry {
    /** `127.0.0.1:<port>`, the host part of image references. */
    readonly host: string;
    /** Pushes a local image as `<host>/<repoTag>`, then drops that local tag: the image is only in the registry. */
    push(localImage: string, repoTag: string): Promise<string>;
    stop(): Promise<void>;
}

/** A port nothing listens on now, from the kernel's ephemeral range. */
export async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    return port;
}

/** Starts a registry; with `login`, it answers only to that user (htpasswd, Debian's apache2-utils). */
export async function startRegistry(login?: { username: string; password: string }): Promise<TestRegistry> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-registry-"));
    const auth: string[] = [];
    if (login) {
        const entry = childProcess.execFileSync("htpasswd", ["-Bbn", login.username, login.password], {
            encoding: "utf8",
        });
        fs.writeFileSync(path.join(dir, "htpasswd"), entry);
        auth.push("auth:", "  htpasswd:", "    realm: bluegreen-test", `    path: ${path.join(dir, "htpasswd")}`);
    }
    // Pushes log in with a client config of their own, never the user's ~/.docker.
    const clientConfig = path.join(dir, "client");
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config = path.join(dir, "config.yml");
    fs.writeFileSync(
        config,
        [
            "version: 0.1",
            "log:",
            "  level: warn",
            "storage:",
            "  filesystem:",
            `    rootdirectory: ${path.join(dir, "data")}`,
            "  delete:",
            "    enabled: true",
            "http:",
            `  addr: ${host}`,
            ...auth,
            "",
        ].join("\n"),
    );
    const log = fs.openSync(path.join(dir, "registry.log"), "a");
    const child = childProcess.spawn("docker-registry", ["serve", config], { stdio: ["ignore", log, log] });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    const started = Date.now();
    for (;;) {
        const answer = (await probe(`http://${host}/v2/`, 1000)).status;
        if (answer === 200 || (login && answer === 401)) break;
        if (child.exitCode !== null || Date.now() - started > 15000) {
            const output = fs.readFileSync(path.join(dir, "registry.log"), "utf8").trim().split("\n").pop();
            child.kill("SIGKILL");
            throw new Error(
                `docker-registry did not answer on ${host} within 15 s (is it installed? make setup): ${output}`,
            );
        }
        await sleep(100);
    }
    return {
        host,
        async push(localImage, repoTag) {
            const ref = `${host}/${repoTag}`;
            await dockerOk(["tag", localImage, ref]);
            if (login && !fs.existsSync(clientConfig)) {
                const args = [
                    "--config",
                    clientConfig,
                    "login",
                    host,
                    "--username",
                    login.username,
                    "--password-stdin",
                ];
                await dockerOk(args, { input: login.password });
            }
            await dockerOk(["--config", clientConfig, "push", ref], { timeoutMs: 120000 });
            await dockerOk(["image", "rm", ref]);
            return ref;
        },
        async stop() {
            // Everything pulled from it, by tag and by digest (a moved tag leaves its old image
            // behind, named only by digest). Untagging never touches the local images' own names.
            const refs = await docker([
                "images",
                "--digests",
                "--filter",
                `reference=${host}/*/*`,
                "--format",
                "{{.Repository}}:{{.Tag}} {{.Repository}}@{{.Digest}}",
            ]);
            for (const ref of refs.stdout
                .split(/\s+/)
                .filter((r) => r && !r.endsWith(":<none>") && !r.endsWith("@<none>"))) {
                await docker(["image", "rm", ref]);
            }
            child.kill("SIGTERM");
            await Promise.race([exited, sleep(5000)]);
            if (child.exitCode === null) child.kill("SIGKILL");
            fs.closeSync(log);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
