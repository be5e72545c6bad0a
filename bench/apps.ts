// `make bench`, several apps on one proxy: one stack grows from 1 app to 10, 20 and 50 (the stack's
// own app, then apps of `apps`, each on a host name of its own); at each size one app is released
// several times with `npm run release` (`--app a1` beyond one app) while GET load runs on every app
// (and POST on the released one). Per size: the release's wall, its switch (reload to first
// answer), nginx's memory, failed requests and a plain `pulumi up` of the whole stack, each beside
// an empty program's `pulumi up` measured in the same round (the machine drifts by tens of
// percent). Writes bench/results/apps.{md,json}.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import { dockerOk } from "../components/runtime/docker";
import { LoadResult, startLoad } from "../test/support/hey";
import { createTestStack, sampleConfig, TestStack } from "../test/support/stack";
import { benchEngines, benchLog, envNumber, machine, writeResults } from "./report";
import { emptyProgram, median, timed } from "./speed";

export interface AppsRow {
    readonly apps: number;
    /** Seconds of each `npm run release` (with `--app a1` beyond one app), and of the empty program's `pulumi up` beside it. */
    readonly releaseSeconds: number[];
    readonly emptySeconds: number[];
    /** The switch of each release: from nginx's reload to the first answer of the new config. */
    readonly switchMs: number[];
    /** nginx's memory after the releases, as `docker stats` reports it. */
    readonly nginxMemory: string;
    readonly requests: number;
    readonly failed: number;
    /** Seconds the stack took to grow to this size (one `pulumi up`). */
    readonly growSeconds: number;
    /** Seconds of a plain `pulumi up` of the whole stack with nothing to change, after the releases. */
    readonly fullUpSeconds: number;
}

export interface AppsResult {
    readonly machine: string;
    readonly date: string;
    readonly engine: string;
    readonly releasesPerSize: number;
    readonly rows: AppsRow[];
}

/** The `apps` entries of a stack of `count` apps in all: a1 .. a<count-1>, each on host a<i>.bench. */
function appsConfig(count: number, publicPort: number, images: Record<string, [string, string, string]>) {
    const apps: Record<string, unknown> = {};
    for (let i = 1; i < count; i++) {
        const name = `a${i}`;
        const [liveColor, blueImage, greenImage] = images[name] ?? ["blue", "bluegreen-sample:1", "bluegreen-sample:1"];
        apps[name] = {
            liveColor,
            blueImage,
            greenImage,
            bluePort: publicPort + 2 + 2 * i,
            greenPort: publicPort + 3 + 2 * i,
            hosts: [`${name}.bench`],
        };
    }
    return apps;
}

/** Writes the stack's `apps` key into Pulumi.<stack>.yaml as an object (one file write, not a CLI run per key). */
function writeApps(t: TestStack, apps: Record<string, unknown>): void {
    const YAML = require("yaml") as typeof import("yaml");
    const file = path.join(t.workDir, `Pulumi.${t.name}.yaml`);
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    doc.config["bluegreen:apps"] = apps;
    fs.writeFileSync(file, YAML.stringify(doc));
}

/** The switch's own figure of its last switch, from the stack's state. */
function lastSwitchMs(t: TestStack, env: NodeJS.ProcessEnv, app: string): number {
    const state = JSON.parse(
        childProcess.execFileSync("pulumi", ["stack", "export", "--stack", t.name], {
            cwd: t.workDir,
            env,
            encoding: "utf8",
            maxBuffer: 256 * 1024 * 1024,
        }),
    ) as { deployment: { resources: { urn: string; outputs?: { switchMs?: number } }[] } };
    const sw = state.deployment.resources.find((r) => r.urn.endsWith(`::${app}-switch`));
    if (sw?.outputs?.switchMs === undefined) {
        throw new Error(`no switchMs in the state of ${app}-switch`);
    }
    return sw.outputs.switchMs;
}

export async function runAppsBench(options: {
    readonly sizes: readonly number[];
    readonly releases: number;
    readonly publicPort: number;
    readonly engine: string;
    readonly log: (line: string) => void;
}): Promise<AppsResult> {
    const { log } = options;
    const t = await createTestStack("benchapps", { ...sampleConfig(options.publicPort), engine: options.engine });
    const env = { ...process.env, ...t.env, PULUMI_STACK: t.name };
    const empty = emptyProgram(t);
    const url = `http://127.0.0.1:${options.publicPort}/`;
    const up = ["up", "--yes", "--skip-preview", "--non-interactive"];
    const rows: AppsRow[] = [];
    // Each app's colours and images as config says, so a release flips the one released.
    const images: Record<string, [string, string, string]> = {};
    try {
        for (const size of options.sizes) {
            writeApps(t, appsConfig(size, options.publicPort, images));
            log(`growing the stack to ${size} app(s)`);
            const growSeconds = timed("pulumi", up, t.workDir, env);
            // The released app: the stack's own when alone, else a1 (routed by its host name).
            const released = size === 1 ? undefined : "a1";
            const releaseSeconds: number[] = [];
            const emptySeconds: number[] = [];
            const switchMs: number[] = [];
            const hosts = [undefined, ...Array.from({ length: size - 1 }, (_, i) => `a${i + 1}.bench`)];
            const seconds = options.releases * 8 + 10;
            const load: Promise<LoadResult>[] = hosts.map((host) =>
                startLoad({ url, host, seconds, rpsPerConnection: host === undefined ? 20 : 5, connections: 1 }),
            );
            const releasedHost = released ? `${released}.bench` : undefined;
            load.push(
                startLoad({ url, host: releasedHost, seconds, rpsPerConnection: 20, connections: 1, method: "POST" }),
            );
            await new Promise((resolve) => setTimeout(resolve, 1000));
            for (let i = 0; i < options.releases; i++) {
                // What a user runs: `npm run release` (`-- --app a1` on a stack of several apps,
                // which updates that app alone), onto the idle colour, with a new image each time.
                const key = released ?? "";
                const [live, blue, green] = images[key] ?? ["blue", "bluegreen-sample:1", "bluegreen-sample:1"];
                const next = live === "blue" ? "green" : "blue";
                const image = `bluegreen-sample:${i % 2 === 0 ? 2 : 1}`;
                images[key] = next === "green" ? [next, blue, image] : [next, image, green];
                const app = released ? ["--app", released] : [];
                emptySeconds.push(timed("pulumi", up, empty.dir, empty.env));
                releaseSeconds.push(timed("npm", ["run", "--silent", "release", "--", ...app, image], t.workDir, env));
                switchMs.push(lastSwitchMs(t, env, released ? `${t.name}-${released}` : t.name));
            }
            // The same stack's plain `pulumi up` with nothing to change: what any untargeted update costs.
            const fullUpSeconds = timed("pulumi", up, t.workDir, env);
            const results = await Promise.all(load);
            const nginxMemory = (
                await dockerOk(["stats", "--no-stream", "--format", "{{.MemUsage}}", `${t.name}-proxy`])
            ).split(" / ")[0];
            const row: AppsRow = {
                apps: size,
                releaseSeconds,
                emptySeconds,
                switchMs,
                nginxMemory,
                requests: results.reduce((n, r) => n + r.total, 0),
                failed: results.reduce((n, r) => n + r.failed, 0),
                growSeconds,
                fullUpSeconds,
            };
            log(
                `${size} app(s): release ${median(releaseSeconds).toFixed(2)} s (empty up ${median(emptySeconds).toFixed(2)} s), ` +
                    `switch ${median(switchMs)} ms, nginx ${nginxMemory}, ${row.failed} of ${row.requests} failed`,
            );
            rows.push(row);
        }
    } finally {
        fs.rmSync(empty.dir, { recursive: true, force: true });
        await t.cleanup();
    }
    return {
        machine: machine(),
        date: new Date().toISOString(),
        engine: options.engine,
        releasesPerSize: options.releases,
        rows,
    };
}

export function appsTable(result: AppsResult): string {
    const ratio = (row: AppsRow) => median(row.releaseSeconds) / median(row.emptySeconds);
    const single = result.rows.find((r) => r.apps === 1);
    const lines = [
        "| apps | `npm run release` (median) | empty program's `pulumi up` | release / empty | vs 1 app | switch p50 (ms) | nginx memory | requests | failed | plain `pulumi up`, no change | grow to this size |",
        "| ---- | -------------------------- | --------------------------- | --------------- | ------- | --------------- | ------------ | -------- | ------ | ---------------------------- | ----------------- |",
        ...result.rows.map(
            (r) =>
                `| ${r.apps} | ${median(r.releaseSeconds).toFixed(2)} s | ${median(r.emptySeconds).toFixed(2)} s | ` +
                `${ratio(r).toFixed(2)}x | ${single ? `${(ratio(r) / ratio(single)).toFixed(2)}x` : "-"} | ` +
                `${median(r.switchMs)} | ${r.nginxMemory} | ${r.requests} | ${r.failed} | ${r.fullUpSeconds.toFixed(2)} s | ${r.growSeconds.toFixed(0)} s |`,
        ),
    ];
    return [
        ...lines,
        "",
        `Engine: ${result.engine}. ${result.releasesPerSize} releases per size (\`npm run release\`, with \`--app a1\` ` +
            "beyond one app: an update targeted at that app), each timed beside an empty program's " +
            '`pulumi up` in the same round; "vs 1 app" compares the release/empty ratios, so drift between rows ' +
            "cancels. Load during the releases: GET on every app (the stack's own at 20 rps, each other app 5 rps, " +
            "by its Host header), POST at 20 rps on the released app, one keep-alive connection each (Debian's hey). " +
            `Machine: ${result.machine}. Date: ${result.date}.`,
    ].join("\n");
}

async function main(): Promise<void> {
    const sizes = (process.env.BENCH_APPS_SIZES ?? "1 10 20 50").split(/\s+/).filter(Boolean).map(Number);
    const result = await runAppsBench({
        sizes,
        releases: envNumber("BENCH_APPS_RELEASES", 3),
        publicPort: envNumber("BENCH_APPS_PORT", 19800),
        engine: benchEngines()[0],
        log: benchLog,
    });
    writeResults("apps", result, appsTable(result));
    const failed = result.rows.reduce((n, r) => n + r.failed, 0);
    if (failed > 0) {
        throw new Error(`${failed} requests failed during the releases`);
    }
}

if (require.main === module) {
    main().catch((err) => {
        console.error(`bench failed: ${(err as Error).message}`);
        process.exit(1);
    });
}
