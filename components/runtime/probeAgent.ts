// HTTP probes and shell commands in a container over one long-lived `docker exec`: a `docker exec`
// costs about 0.45 s over SSH (the call, the remote CLI, the exec's API round trips), and a release
// makes a dozen probes and a config install. The agent is a bash loop in the container reading one
// request a line and answering one line; each probe is still a GET on a new TCP connection. One
// agent per container, per process; it ends with its stdin (when this process ends) or when the
// container goes.
import * as childProcess from "child_process";
import { lastLine } from "../core/text";
import { dockerEnv } from "./sshMux";

// Requests: `get SECONDS HOST PORT PATH [HOST-HEADER]` (values checked by the caller, see reach.ts) and
// `sh SCRIPT INPUT` (both base64, `-` for no input). Answer: stdout and stderr in base64 (`-` when
// empty) and the exit code; for `get`, stdout is the raw HTTP answer (7: no connection, 124: timed out).
const AGENT_SCRIPT = `while read -r kind a b c d e; do
  err=
  case "$kind" in
  get)
    out=$(timeout "$a" bash -c '{ printf "GET %s HTTP/1.0\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n" "$2" "$3" >&3; cat <&3; } 2>/dev/null 3<>"/dev/tcp/$0/$1" || exit 7' "$b" "$c" "$d" "\${e:-$b}" | base64 -w0; exit "\${PIPESTATUS[0]}")
    code=$? ;;
  sh)
    errfile=$(mktemp)
    out=$({ [ "$b" = - ] || printf %s "$b" | base64 -d; } | sh -c "$(printf %s "$a" | base64 -d)" 2>"$errfile" | base64 -w0; exit "\${PIPESTATUS[1]}")
    code=$?
    err=$(base64 -w0 <"$errfile"); rm -f "$errfile" ;;
  *) out= code=2 ;;
  esac
  echo "\${out:--} \${err:--} $code"
done`;

interface Answer {
    readonly stdout: string;
    readonly stderr: string;
    readonly code: number;
}

interface Pending {
    resolve(answer: Answer): void;
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
            const [out = "-", err = "-", code = ""] = line.trim().split(" ");
            const decode = (field: string) => (field === "-" ? "" : Buffer.from(field, "base64").toString("utf8"));
            agent.pending.shift()?.resolve({ stdout: decode(out), stderr: decode(err), code: Number(code) });
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

/** Sends one request line to the container's agent; throws when the agent fails or is silent. */
function ask(container: string, request: string, seconds: number): Promise<Answer> {
    const agent = agents.get(container) ?? startAgent(container);
    return new Promise<Answer>((resolve, reject) => {
        // Starting the agent over SSH takes one exec's time; the request's own bound comes on top.
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
        agent.child.stdin!.write(`${request}\n`);
    });
}

/**
 * One GET of `host:port/path` from inside `container`, on a new connection: the raw answer and the
 * exit code of the request (0, or 7 no connection, 124 timed out). Throws when the agent fails.
 */
export async function agentGet(
    container: string,
    target: { host: string; port: string; path: string; hostHeader?: string },
    timeoutMs: number,
): Promise<{ raw: string; code: number }> {
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const header = target.hostHeader ? ` ${target.hostHeader}` : "";
    const answer = await ask(
        container,
        `get ${seconds} ${target.host} ${target.port} ${target.path}${header}`,
        seconds,
    );
    return { raw: answer.stdout, code: answer.code };
}

/** Runs `sh -c script` in `container` with `input` on its stdin; throws when the agent fails. */
export function agentRun(container: string, script: string, input?: string): Promise<Answer> {
    const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
    return ask(container, `sh ${b64(script)} ${input ? b64(input) : "-"}`, 60);
}

/** Ends every agent of this process (each holds an SSH session while it lives). */
export function closeAgents(): void {
    for (const [container, agent] of agents) {
        agents.delete(container);
        agent.child.stdin?.end();
    }
}
