// HTTP probes from inside a container over one long-lived `docker exec`: a `docker exec` costs about
// 0.4 s over SSH (the call, the remote CLI, the exec's API round trips), and a release makes a
// dozen probes. The agent is a bash loop in the container reading one request a line and answering
// one line; each request is still a GET on a new TCP connection. One agent per container, per
// process; it ends with its stdin (when this process ends) or when the container goes.
import * as childProcess from "child_process";
import { lastLine } from "./docker";
import { dockerEnv } from "./sshMux";

// Request: `SECONDS HOST PORT PATH`. Answer: the raw HTTP answer in base64, a space, the exit code
// (7: no connection, 124: timed out). Values are checked before they are written (see probeVia).
const AGENT_SCRIPT = `while read -r seconds host port path; do
  answer=$(timeout "$seconds" bash -c '{ printf "GET %s HTTP/1.0\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n" "$2" "$0" >&3; cat <&3; } 2>/dev/null 3<>"/dev/tcp/$0/$1" || exit 7' "$host" "$port" "$path" | base64 -w0; exit "\${PIPESTATUS[0]}")
  code=$?
  echo "$answer $code"
done`;

interface Pending {
    resolve(answer: { raw: string; code: number }): void;
    reject(err: Error): void;
}

interface Agent {
    readonly child: childProcess.ChildProcess;
    readonly pending: Pending[];
    stderr: string;
}

const agents = new Map<string, Agent>();

function startAgent(container: string): Agent {
    const child = childProcess.spawn("docker", ["exec", "-i", container, "bash", "-c", AGENT_SCRIPT], {
        env: dockerEnv(),
        stdio: ["pipe", "pipe", "pipe"],
    });
    const agent: Agent = { child, pending: [], stderr: "" };
    let buffered = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            const [encoded = "", code = ""] = line.trim().split(" ");
            agent.pending
                .shift()
                ?.resolve({ raw: Buffer.from(encoded, "base64").toString("utf8"), code: Number(code) });
        }
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => (agent.stderr = (agent.stderr + chunk).slice(-2000)));
    const fail = (why: string) => {
        if (agents.get(container) === agent) {
            agents.delete(container);
        }
        for (const p of agent.pending.splice(0)) {
            p.reject(new Error(`docker exec into ${container} failed: ${why}`));
        }
    };
    child.on("error", (err) => fail(err.message));
    child.on("exit", (code) =>
        fail(lastLine(agent.stderr) === "(no output)" ? `exit ${code}` : lastLine(agent.stderr)),
    );
    child.stdin!.on("error", () => undefined); // a dead agent is reported by its exit
    // Never keeps this process alive by itself: pending probes hold a timer.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
        (stream as unknown as { unref?(): void }).unref?.();
    }
    agents.set(container, agent);
    return agent;
}

/**
 * One GET of `host:port/path` from inside `container`, on a new connection: the raw answer and the
 * exit code of the request (0, or 7 no connection, 124 timed out). Throws when the agent fails.
 */
export async function agentGet(
    container: string,
    target: { host: string; port: string; path: string },
    timeoutMs: number,
): Promise<{ raw: string; code: number }> {
    const agent = agents.get(container) ?? startAgent(container);
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    return new Promise<{ raw: string; code: number }>((resolve, reject) => {
        // Starting the agent over SSH takes one exec's time; the probe's own bound comes on top.
        const timer = setTimeout(
            () => {
                agent.child.kill("SIGKILL");
                reject(new Error(`docker exec into ${container} did not answer within ${seconds + 15} s`));
            },
            (seconds + 15) * 1000,
        );
        agent.pending.push({
            resolve: (a) => (clearTimeout(timer), resolve(a)),
            reject: (e) => (clearTimeout(timer), reject(e)),
        });
        agent.child.stdin!.write(`${seconds} ${target.host} ${target.port} ${target.path}\n`);
    });
}

/** Ends every agent of this process (each holds an SSH session while it lives). */
export function closeAgents(): void {
    for (const [container, agent] of agents) {
        agents.delete(container);
        agent.child.stdin?.end();
    }
}
