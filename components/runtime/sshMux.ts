// One SSH connection per engine host, shared by every docker call of a deploy. docker's SSH transport
// (DOCKER_HOST=ssh://…) runs `ssh … docker system dial-stdio` per call, a full handshake each
// (about 0.2 s); OpenSSH's ControlMaster lets later calls ride the first connection. The docker CLI
// takes no ssh options, so its calls find this `ssh` first on PATH, which adds them; the docker
// provider takes them as `sshOpts`. BLUEGREEN_SSH_MUX=0 turns it off.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** `~` is expanded by ssh; a fixed text, so the docker provider's config never changes under it. */
export const SSH_MUX_OPTIONS: readonly string[] = [
    "-o",
    "ControlMaster=auto",
    "-o",
    "ControlPath=~/.ssh/bluegreen-%C",
    "-o",
    "ControlPersist=60",
];

export function sshMuxEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
    return env.BLUEGREEN_SSH_MUX !== "0";
}

/** The wrapper's text: the real ssh (the first one on PATH after the wrapper's own directory). */
export function wrapperScript(): string {
    const options = SSH_MUX_OPTIONS.map((o) => `'${o}'`).join(" ");
    return [
        "#!/bin/sh",
        "# Written by bluegreen (components/runtime/sshMux.ts): ssh with a shared connection per host.",
        'here=$(dirname -- "$0")',
        'PATH=$(printf %s "$PATH" | tr : \'\\n\' | grep -vxF "$here" | paste -sd: -)',
        "mkdir -p ~/.ssh 2>/dev/null && chmod 700 ~/.ssh 2>/dev/null",
        `exec ssh ${options} "$@"`,
        "",
    ].join("\n");
}

const written = new Set<string>();

/** The directory of the wrapper, written once per process (atomically: deploys may run side by side). */
function ensureWrapper(env: NodeJS.ProcessEnv): string {
    const cache =
        env.BLUEGREEN_CACHE || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "bluegreen");
    const dir = path.join(cache, "ssh-mux");
    if (written.has(dir)) {
        return dir;
    }
    const file = path.join(dir, "ssh");
    const text = wrapperScript();
    let current: string | undefined;
    try {
        current = fs.readFileSync(file, "utf8");
    } catch {
        current = undefined;
    }
    if (current !== text) {
        fs.mkdirSync(dir, { recursive: true });
        const partial = `${file}.${process.pid}`;
        fs.writeFileSync(partial, text, { mode: 0o755 });
        fs.renameSync(partial, file);
    }
    written.add(dir);
    return dir;
}

/** The environment for a docker CLI call: the wrapper first on PATH when DOCKER_HOST may use ssh. */
export function dockerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    if (!sshMuxEnabled(env) || (env.DOCKER_HOST !== undefined && !env.DOCKER_HOST.startsWith("ssh://"))) {
        return env;
    }
    try {
        return { ...env, PATH: `${ensureWrapper(env)}${path.delimiter}${env.PATH ?? ""}` };
    } catch {
        return env; // no writable cache: every call pays its own handshake, nothing else changes
    }
}
