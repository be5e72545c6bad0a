// `make bench`, swarm: on the multi-node harness (scripts/swarm-harness.sh), flips and releases of
// a bluegreen stack with 2 replicas per colour, side by side with Swarm's own rolling update
// (start-first) of a 2-replica service behind the same nginx, both under the swap bench's GET and
// POST keep-alive load. Runs inside the manager's network namespace:
//   bash scripts/swarm-harness.sh up 2 && bash scripts/swarm-harness.sh on 1 -- node bin/bench/swarm.js
// Prints a table and writes bench/results/swarm.{md,json}.
import { docker, dockerOk } from "../components/runtime/docker";
import { probe, sleep } from "../components/runtime/probe";
import { renderProxyConfig, NGINX_CONF_PATH, PROXY_LISTEN_PORT } from "../components/core/nginx";
import { LoadResult } from "../test/support/hey";
import { createTestStack, sampleConfig } from "../test/support/stack";
import { nodesOf } from "../test/support/swarm";
import { serviceContainers } from "../components/runtime/docker";
import { removeService } from "../components/providers/swarmService";
import { benchLog, envNumber, machine, writeResults } from "./report";
import {
    CONNECTIONS_PER_METHOD,
    failedByKind,
    failedCell,
    LoadTarget,
    loadSeconds,
    percentile,
    timedUp,
    underLoad,
} from "./scenario";

const RUN_ON_MANAGER =
    "bash scripts/swarm-harness.sh up 2 && bash scripts/swarm-harness.sh on 1 -- node bin/bench/swarm.js";
const APP_PORT = 8080;
const IMAGES = ["bluegreen-sample:1", "bluegreen-sample:2"];

export interface SwarmBenchOptions {
    /** Flips (liveColor only) of the bluegreen stack. */
    readonly flips: number;
    /** Releases of the bluegreen stack: a new image on the idle colour, then the flip. */
    readonly releases: number;
    /** `docker service update --image` of the plain service. */
    readonly rollingUpdates: number;
    /** Total request rate, split evenly between GET and POST. */
    readonly rps: number;
    /** The bluegreen stack's public port (its preview ports are the next two). */
    readonly bluegreenPort: number;
    /** The rolling update's nginx. */
    readonly rollingPort: number;
    /** Load window per action (estimates; the bench fails when an action outlasts its load). */
    readonly flipSeconds: number;
    readonly releaseSeconds: number;
    readonly rollingSeconds: number;
    readonly log: (line: string) => void;
}

/** One measured change: a flip, a release or a rolling update. */
export interface Update {
    readonly kind: "flip" | "release" | "rolling update";
    readonly change: string;
    /** Wall time of the `pulumi up` or of `docker service update --detach=false`. */
    readonly seconds: number;
    /** bluegreen only: reload signal -> first answer of the new colour on a fresh connection. */
    readonly switchMs?: number;
    readonly prepareMs?: number;
    readonly reloadVia?: string;
    /** Rolling update only: the service's update state after the command (completed, rollback_completed). */
    readonly state?: string;
    /** Nodes running the serving tasks afterwards. */
    readonly nodes: string[];
}

export interface SwarmScenario {
    readonly name: string;
    readonly requests: number;
    readonly failed: number;
    readonly failedByKind: Record<string, number>;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly updates: Update[];
    /** nginx's error log during the load (its task's `docker logs`), counted by method and message. */
    readonly nginxErrors: Record<string, number>;
}

export interface SwarmBenchResult {
    readonly machine: string;
    readonly date: string;
    readonly options: Omit<SwarmBenchOptions, "log">;
    /** The swarm's nodes: hostname, role, status. */
    readonly nodes: string[];
    readonly nginxVersion: string;
    readonly scenarios: SwarmScenario[];
}

/** Fails unless this process talks to an active swarm manager with at least 2 ready nodes. */
async function checkManager(): Promise<string[]> {
    const info = await docker(["info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"]);
    const state = info.stdout.trim();
    if (info.code !== 0 || state !== "active true") {
        const seen = info.code === 0 ? `swarm state "${state}"` : (info.stderr.trim().split("\n").pop() ?? "");
        throw new Error(
            `not on an active swarm manager (DOCKER_HOST=${process.env.DOCKER_HOST ?? "unset"}: ${seen}); ` +
                `run it inside the harness's manager: ${RUN_ON_MANAGER}`,
        );
    }
    const nodes = (await dockerOk(["node", "ls", "--format", "{{.Hostname}} {{.ManagerStatus}} {{.Status}}"]))
        .split("\n")
        .map((line) => line.replace(/\s+/g, " "));
    if (nodes.filter((n) => n.endsWith(" Ready")).length < 2) {
        throw new Error(`the swarm needs 2 ready nodes (${nodes.join(", ")}); run: ${RUN_ON_MANAGER}`);
    }
    return nodes;
}

/**
 * nginx's error log of `service`'s task on this node (the manager), grouped by method and message
 * without the connection number, addresses and timestamps.
 */
async function nginxErrors(service: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const id of (await serviceContainers(service, "all")) ?? []) {
        const logs = await docker(["logs", id]);
        for (const line of `${logs.stdout}\n${logs.stderr}`.split("\n")) {
            const match = /\[(warn|error|crit|alert|emerg)\] \d+#\d+: (?:\*\d+ )?(.*)$/.exec(line);
            if (!match) continue;
            const method = /request: "(\w+) /.exec(match[2])?.[1];
            const message = match[2].replace(/, client: .*$/, "").replace(/\d+\.\d+\.\d+\.\d+(:\d+)?/g, "<addr>");
            const key = `${match[1]}${method ? ` ${method}` : ""}: ${message}`;
            counts[key] = (counts[key] ?? 0) + 1;
        }
    }
    return counts;
}

/** The load around `action`, failing when the action outlasted it (the figures would miss its end). */
async function coveredLoad(
    target: LoadTarget,
    seconds: number,
    what: string,
    action: () => Promise<void>,
): Promise<LoadResult[]> {
    const started = Date.now();
    let took = Infinity;
    const load = await underLoad(target, seconds, async () => {
        await action();
        took = (Date.now() - started) / 1000;
    });
    if (took > seconds - 1) {
        throw new Error(
            `${what} took ${took.toFixed(0)} s, longer than its ${seconds} s of load: ` +
                `raise the per-action estimate (BENCH_SWARM_*_SECONDS)`,
        );
    }
    return load;
}

function scenario(name: string, load: LoadResult[], updates: Update[], errors: Record<string, number>): SwarmScenario {
    return {
        name,
        requests: load.reduce((a, l) => a + l.total, 0),
        failed: load.reduce((a, l) => a + l.failed, 0),
        failedByKind: failedByKind(load),
        p50Ms: Math.max(...load.map((l) => l.p50Ms ?? NaN)),
        p99Ms: Math.max(...load.map((l) => l.p99Ms ?? NaN)),
        updates,
        nginxErrors: errors,
    };
}

/** Scenario A: flips and releases of a bluegreen stack, 2 replicas per colour over the nodes. */
async function bluegreen(options: SwarmBenchOptions): Promise<SwarmScenario> {
    const { log } = options;
    const t = await createTestStack("benchswarm", {
        ...sampleConfig(options.bluegreenPort),
        orchestrator: "swarm",
        replicas: "2",
    });
    try {
        log(`bluegreen: deploying stack ${t.name} (2 replicas per colour)`);
        await t.stack.up();
        log(`  blue on ${(await nodesOf(`${t.name}-blue`)).join(", ")}`);
        let live: "blue" | "green" = "blue";
        const images: Record<string, string> = { blue: IMAGES[0], green: IMAGES[0] };
        const updates: Update[] = [];
        const step = async (kind: "flip" | "release", config: Record<string, string>) => {
            await t.setConfig(config);
            const up = await timedUp(t);
            const nodes = await nodesOf(`${t.name}-${live}`);
            updates.push({ kind, change: JSON.stringify(config), ...up, nodes });
            log(
                `  ${kind} ${JSON.stringify(config)}: up ${up.seconds.toFixed(1)} s, switch ${up.switchMs} ms ` +
                    `(+${up.prepareMs} ms validate and install, reload via ${up.reloadVia}); ${live} on ${nodes.join(", ")}`,
            );
        };
        const seconds = loadSeconds(1, options.flips * options.flipSeconds + options.releases * options.releaseSeconds);
        log(`bluegreen: ${options.flips} flips and ${options.releases} releases under ${seconds} s of load`);
        const load = await coveredLoad(
            { rps: options.rps, publicPort: options.bluegreenPort },
            seconds,
            "bluegreen's flips and releases",
            async () => {
                for (let i = 0; i < options.flips; i++) {
                    live = live === "blue" ? "green" : "blue";
                    await step("flip", { liveColor: live });
                }
                for (let i = 0; i < options.releases; i++) {
                    // The idle colour gets the image it does not run, so every release replaces its service.
                    const idle = live === "blue" ? "green" : "blue";
                    images[idle] = images[idle] === IMAGES[0] ? IMAGES[1] : IMAGES[0];
                    live = idle;
                    await step("release", { [`${idle}Image`]: images[idle], liveColor: idle });
                }
            },
        );
        return scenario("bluegreen (swarm, 2 replicas x 2 nodes)", load, updates, await nginxErrors(`${t.name}-proxy`));
    } finally {
        await t.cleanup();
    }
}

/** Removes services and waits (bounded) until their containers on this node are gone. */
async function removeServices(names: string[]): Promise<void> {
    for (const name of names) {
        await removeService(name, false);
    }
}

/** Scenario B: Swarm's rolling update (start-first) of a 2-replica service behind the same nginx. */
async function rolling(options: SwarmBenchOptions, proxyImage: string): Promise<SwarmScenario> {
    const { log } = options;
    const x = `benchroll${process.pid}`;
    const network = `${x}-net`;
    const app = `${x}-app`;
    const proxy = `${x}-proxy`;
    // Exactly bluegreen's swarm nginx settings, pointed at the plain service's tasks.
    const conf = renderProxyConfig({ color: "blue", host: `tasks.${app}`, port: APP_PORT }, { previews: [] });
    const config = `${x}-nginx-${conf.version}`;
    try {
        log(`rolling: service ${app} (2 replicas) behind ${proxy} on port ${options.rollingPort}`);
        await dockerOk(["network", "create", "--driver", "overlay", "--attachable", network]);
        await dockerOk(
            [
                "service",
                "create",
                "--name",
                app,
                "--replicas",
                "2",
                "--endpoint-mode",
                "dnsrr",
                "--network",
                network,
                "--no-resolve-image",
                "--detach=false",
                "--quiet",
                IMAGES[0],
            ],
            { timeoutMs: 180000 },
        );
        await dockerOk(["config", "create", config, "-"], { input: conf.text });
        await dockerOk(
            [
                "service",
                "create",
                "--name",
                proxy,
                "--replicas",
                "1",
                "--network",
                network,
                "--constraint",
                "node.role==manager",
                "--publish",
                `mode=host,target=${PROXY_LISTEN_PORT},published=${options.rollingPort},protocol=tcp`,
                "--config",
                `source=${config},target=${NGINX_CONF_PATH}`,
                "--no-resolve-image",
                "--detach=false",
                "--quiet",
                proxyImage,
            ],
            { timeoutMs: 180000 },
        );
        const url = `http://127.0.0.1:${options.rollingPort}/`;
        const deadline = Date.now() + 60000;
        for (;;) {
            const answer = await probe(url, 2000);
            if (answer.status === 200 && answer.body.startsWith("version=1 ")) break;
            if (Date.now() > deadline) throw new Error(`${url} did not answer version=1 within 60 s`);
            await sleep(250);
        }
        log(`  ${app} on ${(await nodesOf(app)).join(", ")}`);

        const updates: Update[] = [];
        const seconds = loadSeconds(options.rollingUpdates, options.rollingSeconds);
        log(`rolling: ${options.rollingUpdates} rolling updates (start-first) under ${seconds} s of load`);
        const load = await coveredLoad(
            { rps: options.rps, publicPort: options.rollingPort },
            seconds,
            "the rolling updates",
            async () => {
                for (let i = 0; i < options.rollingUpdates; i++) {
                    const image = IMAGES[(i + 1) % 2];
                    const started = Date.now();
                    await dockerOk(
                        [
                            "service",
                            "update",
                            "--image",
                            image,
                            "--update-order",
                            "start-first",
                            "--update-parallelism",
                            "1",
                            "--update-failure-action",
                            "rollback",
                            "--no-resolve-image",
                            "--detach=false",
                            "--quiet",
                            app,
                        ],
                        { timeoutMs: 300000 },
                    );
                    const took = (Date.now() - started) / 1000;
                    const state = await dockerOk([
                        "service",
                        "inspect",
                        "--format",
                        "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}",
                        app,
                    ]);
                    const nodes = await nodesOf(app);
                    updates.push({ kind: "rolling update", change: image, seconds: took, state, nodes });
                    log(`  rolling update to ${image}: ${took.toFixed(1)} s, ${state}; tasks on ${nodes.join(", ")}`);
                }
            },
        );
        return scenario("Swarm rolling update (start-first)", load, updates, await nginxErrors(proxy));
    } finally {
        await removeServices([proxy, app]);
        await docker(["config", "rm", config]);
        // The overlay's endpoints leave with the tasks, a moment after their containers.
        for (let i = 0; i < 40 && (await docker(["network", "rm", network])).code !== 0; i++) {
            if ((await docker(["network", "inspect", network])).code !== 0) break;
            await sleep(500);
        }
    }
}

export async function runSwarmBench(options: SwarmBenchOptions): Promise<SwarmBenchResult> {
    const { log, ...settings } = options;
    const nodes = await checkManager();
    log(`swarm: ${nodes.join(", ")}`);
    const proxyImage = sampleConfig(options.bluegreenPort).proxyImage;
    const nginxVersion = (await docker(["run", "--rm", proxyImage, "nginx", "-v"])).stderr.trim();
    const scenarios = [await bluegreen(options), await rolling(options, proxyImage)];
    return { machine: machine(), date: new Date().toISOString(), options: settings, nodes, nginxVersion, scenarios };
}

export function swarmTable(result: SwarmBenchResult): string {
    const median = (values: number[]) => (values.length ? percentile(values, 50) : NaN);
    const rows = result.scenarios.map((s) => {
        const of = (kind: Update["kind"]) => s.updates.filter((u) => u.kind === kind);
        const counts = (["flip", "release", "rolling update"] as const)
            .map((kind) => [kind, of(kind).length] as const)
            .filter(([, n]) => n > 0)
            .map(([kind, n]) => `${n} ${kind}s`)
            .join(" + ");
        const switchMs = s.updates.flatMap((u) => (u.switchMs === undefined ? [] : [u.switchMs]));
        const walls = (["flip", "release", "rolling update"] as const)
            .filter((kind) => of(kind).length > 0)
            .map((kind) => `${kind} ${median(of(kind).map((u) => u.seconds)).toFixed(1)} s`)
            .join(", ");
        return (
            `| ${s.name} | ${counts} | ${s.requests} | ${failedCell(s.failed, s.failedByKind)} ` +
            `| ${s.p50Ms.toFixed(1)} / ${s.p99Ms.toFixed(1)} | ${switchMs.length ? median(switchMs) : "-"} | ${walls} |`
        );
    });
    const errors = result.scenarios.map((s) => {
        const lines = Object.entries(s.nginxErrors)
            .sort((a, b) => b[1] - a[1])
            .map(([k, n]) => `${n}x ${k}`);
        return `nginx's error log, ${s.name}: ${lines.length ? lines.join("; ") : "empty"}.`;
    });
    const together = result.scenarios
        .map((s) => `${s.updates.filter((u) => new Set(u.nodes).size < 2).length} of ${s.updates.length} (${s.name})`)
        .join(", ");
    const o = result.options;
    return [
        "| scenario | updates | requests | failed | latency p50 / p99 (ms) | switch median (ms) | update wall median |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        ...rows,
        "",
        `Both on a ${result.nodes.length}-node swarm on one machine (scripts/swarm-harness.sh), 2 replicas per ` +
            `service (spread over the nodes when created), nginx (${result.nginxVersion.replace(/^nginx version: /, "")}, the same ` +
            `image and settings) as a service on the manager. bluegreen: a release puts the image the idle colour ` +
            `does not run (${IMAGES.join(", ")}) on it, then flips; update wall = \`pulumi up\`. Rolling update: ` +
            `\`docker service update --image … --update-order start-first --update-parallelism 1 --detach=false\`, ` +
            `alternating the two images; update wall = that command. Switch: nginx's reload signal to the first ` +
            `answer of the new colour on a fresh connection. Updates after which both serving replicas ran on one ` +
            `node: ${together}.`,
        ...errors,
        `Load: ${o.rps} rps in total (GET and POST, ${CONNECTIONS_PER_METHOD} keep-alive connections each, ` +
            `Debian's hey) from the manager. Machine: ${result.machine}. Date: ${result.date}.`,
    ].join("\n");
}

async function main(): Promise<void> {
    const result = await runSwarmBench({
        flips: envNumber("BENCH_SWARM_FLIPS", 4),
        releases: envNumber("BENCH_SWARM_RELEASES", 4),
        rollingUpdates: envNumber("BENCH_SWARM_ROLLING", 4),
        rps: envNumber("BENCH_SWARM_RPS", 1000),
        bluegreenPort: envNumber("BENCH_SWARM_PORT", 19380),
        rollingPort: envNumber("BENCH_SWARM_ROLLING_PORT", 19390),
        flipSeconds: envNumber("BENCH_SWARM_FLIP_SECONDS", 8),
        // docker-provider reads a new service back in a slow poll: a release takes about 25 s there (README).
        releaseSeconds: envNumber("BENCH_SWARM_RELEASE_SECONDS", 32),
        rollingSeconds: envNumber("BENCH_SWARM_ROLLING_SECONDS", 15),
        log: benchLog,
    });
    writeResults("swarm", result, swarmTable(result));
}

if (require.main === module) {
    main().catch((err) => {
        console.error(`bench failed: ${(err as Error).message}`);
        process.exit(1);
    });
}
