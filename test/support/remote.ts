// What the remote suite and the bench ask of the SSH test host (scripts/remote-harness.sh): its
// namespace, a request from inside it, and the harness's own commands (cut, restore).
import * as assert from "assert";
import * as childProcess from "child_process";
import * as path from "path";

const HARNESS = path.resolve(__dirname, "../../../scripts/remote-harness.sh");

/** The harness's settings (`remote-harness.sh env`), checked: a missing harness fails loudly. */
export function remoteHost(): { ns: string; ip: string; sock: string; noDockerPort: number; daemonDownPort: number } {
    const env = process.env;
    assert.ok(
        env.DOCKER_HOST?.startsWith("ssh://") && env.REMOTE_NS && env.REMOTE_IP && env.REMOTE_SOCK,
        'run this suite against the SSH test host: eval "$(scripts/remote-harness.sh env)" after its up',
    );
    return {
        ns: env.REMOTE_NS!,
        ip: env.REMOTE_IP!,
        sock: env.REMOTE_SOCK!,
        noDockerPort: Number(env.REMOTE_NO_DOCKER_PORT),
        daemonDownPort: Number(env.REMOTE_DAEMON_DOWN_PORT),
    };
}

export function harness(...args: string[]): string {
    return childProcess.execFileSync("bash", [HARNESS, ...args], { encoding: "utf8", timeout: 120000 });
}

/** One GET from inside the remote's namespace (its 127.0.0.1), with `host` as the Host header: status, X-Color and body. */
export function remoteGet(ns: string, url: string, host?: string): { status: number; color?: string; body: string } {
    const result = childProcess.spawnSync(
        "nsenter",
        [
            `--net=/var/run/netns/${ns}`,
            "curl",
            "-sS",
            "-i",
            "--max-time",
            "3",
            ...(host ? ["-H", `Host: ${host}`] : []),
            url,
        ],
        { encoding: "utf8", timeout: 10000 },
    );
    const [head = "", body = ""] = (result.stdout ?? "").split("\r\n\r\n", 2);
    return {
        status: Number(/^HTTP\/[0-9.]+ ([0-9]{3})/.exec(head)?.[1] ?? 0),
        color: /^x-color: *(\S+)/im.exec(head)?.[1],
        body,
    };
}

/** `docker ARGS` on the remote's own socket, never through SSH (works while SSH is cut). */
export function remoteDocker(sock: string, ...args: string[]): string {
    return childProcess.execFileSync("docker", ["-H", sock, ...args], { encoding: "utf8", timeout: 30000 }).trim();
}
