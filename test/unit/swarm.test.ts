// The swarm orchestrator's pure parts: settings, the replica gate, nginx's routes, service arguments.
import * as assert from "assert";
import { parseSettings } from "../../components/core/config";
import { ConfigError } from "../../components/core/configError";
import { checkOrchestrator, pinnedNode, seededCommand, swarmTarget } from "../../components/core/engineRules";
import { PREVIEW_LISTEN_PORTS, renderPlaceholderConfig, renderProxyConfig } from "../../components/core/nginx";
import { ReplicaGate, ReplicaProbe } from "../../components/core/replicaGate";
import { createArgs, SwarmServiceInputs } from "../../components/providers/swarmService";
import { swarmRouting } from "../../components/swarmProxy";

const BASE = { liveColor: "blue", blueImage: "app:1", greenImage: "app:1" };

function settings(over: Record<string, string>) {
    const values: Record<string, string> = { ...BASE, ...over };
    return parseSettings((key) => values[key]);
}

function oneLineConfigError(fn: () => unknown, pattern: RegExp): void {
    assert.throws(fn, (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
        assert.match(err.message, pattern);
        assert.ok(!err.message.includes("\n"));
        return true;
    });
}

describe("swarm settings", () => {
    it("orchestrator defaults to docker with one replica", () => {
        const s = settings({});
        assert.strictEqual(s.orchestrator, "docker");
        assert.strictEqual(s.replicas, 1);
    });

    it("swarm takes 1 to 50 replicas", () => {
        assert.strictEqual(settings({ orchestrator: "swarm", replicas: "2" }).replicas, 2);
        assert.strictEqual(settings({ orchestrator: "swarm", replicas: "50" }).replicas, 50);
        oneLineConfigError(
            () => settings({ orchestrator: "swarm", replicas: "51" }),
            /^bluegreen:replicas must be an integer from 1 to 50 \(got "51"\)$/,
        );
        oneLineConfigError(() => settings({ orchestrator: "swarm", replicas: "0" }), /replicas must be an integer/);
        oneLineConfigError(() => settings({ orchestrator: "swarm", replicas: "2; x" }), /replicas must be an integer/);
    });

    it("docker accepts only one replica, and says how to get more", () => {
        oneLineConfigError(
            () => settings({ replicas: "2" }),
            /^bluegreen:replicas must be 1 with orchestrator docker \(got 2\); .*orchestrator swarm/,
        );
    });

    it("rejects an unknown orchestrator, naming the allowed values", () => {
        oneLineConfigError(
            () => settings({ orchestrator: "kubernetes" }),
            /^bluegreen:orchestrator must be one of: docker, swarm \(got "kubernetes"\)$/,
        );
    });

    it("refuses moving a deployed stack between orchestrators", () => {
        checkOrchestrator("swarm", []);
        checkOrchestrator("swarm", ["swarm"]);
        oneLineConfigError(
            () => checkOrchestrator("swarm", ["docker"]),
            /orchestrator is swarm but this stack runs on docker/,
        );
        oneLineConfigError(() => checkOrchestrator("docker", ["swarm"]), /drop traffic/);
    });

    it("needs DOCKER_HOST to point at a manager of an active swarm", () => {
        assert.deepStrictEqual(swarmTarget({ LocalNodeState: "active", ControlAvailable: true, NodeID: "n1" }, "x"), {
            managerNodeId: "n1",
        });
        oneLineConfigError(
            () => swarmTarget({ LocalNodeState: "inactive" }, "unix:///run/a.sock"),
            /engine at unix:\/\/\/run\/a\.sock is not part of a swarm \(state inactive\)/,
        );
        oneLineConfigError(
            () => swarmTarget({ LocalNodeState: "active", ControlAvailable: false, NodeID: "w" }, "x"),
            /is a swarm worker; point DOCKER_HOST/,
        );
    });
});

function replica(task: string, over: Partial<ReplicaProbe> = {}): ReplicaProbe {
    return {
        task,
        name: `s.${task}`,
        node: `node-${task}`,
        state: "running",
        error: "",
        answer: "HTTP 200",
        status: 200,
        ...over,
    };
}

describe("replica health gate", () => {
    it("passes only when every replica has the threshold of consecutive 2xx in the same round", () => {
        const gate = new ReplicaGate(2, 3);
        gate.observe([replica("a"), replica("b")]);
        gate.observe([replica("a"), replica("b", { status: 503, answer: "HTTP 503" })]);
        gate.observe([replica("a"), replica("b")]);
        assert.strictEqual(gate.passed(), false);
        gate.observe([replica("a"), replica("b")]);
        assert.strictEqual(gate.passed(), false, "b has 2 in a row");
        gate.observe([replica("a"), replica("b")]);
        assert.strictEqual(gate.passed(), true);
    });

    it("a replica that disappears starts over; fewer replicas than asked never pass", () => {
        const gate = new ReplicaGate(2, 1);
        gate.observe([replica("a")]);
        assert.strictEqual(gate.passed(), false);
        assert.match(gate.describe(), /^1 of 2 replicas healthy \(1 not scheduled\)$/);
        gate.observe([replica("b")]);
        gate.observe([replica("a"), replica("b")]);
        assert.strictEqual(gate.passed(), true);
    });

    it("a replica that is not running is not healthy even if a probe answered", () => {
        const gate = new ReplicaGate(1, 1);
        gate.observe([replica("a", { state: "starting" })]);
        assert.strictEqual(gate.passed(), false);
    });

    it("describes what is wrong in one line: which replicas, where, last answer", () => {
        const gate = new ReplicaGate(2, 2);
        gate.observe([replica("a"), replica("b", { status: undefined, answer: "no answer" })]);
        assert.strictEqual(
            gate.describe(),
            "0 of 2 replicas healthy (s.a on node-a: HTTP 200; s.b on node-b: no answer)",
        );
        gate.observe([replica("a"), replica("b", { state: "rejected", error: "No such image: app:2" })]);
        assert.strictEqual(gate.rejected()?.task, "b");
        assert.match(gate.describe(), /s\.b on node-b: rejected \(No such image: app:2\)/);
    });

    it("says what preparing means and names the offline remedy, once", () => {
        const gate = new ReplicaGate(2, 1);
        gate.observe([
            { task: "a", name: "s.1", node: "node-a", state: "preparing", error: "", answer: "not probed" },
            { task: "b", name: "s.2", node: "node-b", state: "preparing", error: "", answer: "not probed" },
        ]);
        const line = gate.describe();
        assert.match(
            line,
            /^0 of 2 replicas healthy \(s\.1 on node-a: preparing; s\.2 on node-b: preparing\); preparing: the node is still pulling the image; .*DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 in its dockerd's environment$/,
        );
        assert.strictEqual(line.split("DOCKER_SERVICE_PREFER_OFFLINE_IMAGE").length, 2, "the remedy once");
    });
});

describe("nginx routes on a swarm", () => {
    const routing = swarmRouting("dev");
    const green = renderProxyConfig({ color: "green", host: "tasks.dev-green", port: 8080 }, routing);

    it("follows the live colour's replicas through Docker's DNS, re-resolved every second", () => {
        assert.match(green.text, /resolver 127\.0\.0\.11 valid=1s ipv6=off;/);
        assert.match(green.text, /upstream bluegreen_live \{\s+zone bluegreen_live 64k;/);
        assert.match(green.text, /server tasks\.dev-green:8080 resolve max_fails=1 fail_timeout=2s;/);
        assert.match(green.text, /add_header X-Color green always;/);
    });

    it("serves a preview port per colour, each to that colour's replicas", () => {
        for (const color of ["blue", "green"] as const) {
            assert.match(green.text, new RegExp(`server tasks\\.dev-${color}:8080 resolve;`));
            assert.match(green.text, new RegExp(`listen ${PREVIEW_LISTEN_PORTS[color]};`));
        }
        assert.match(renderPlaceholderConfig(routing).text, /listen 81;[\s\S]*listen 82;[\s\S]*return 503/);
    });

    it("keeps the single-host config as it was (no resolver, no zone)", () => {
        const single = renderProxyConfig({ color: "green", host: "dev-green", port: 8080 });
        assert.doesNotMatch(single.text, /resolver|zone|resolve/);
        assert.notStrictEqual(single.version, green.version);
    });

    it("never splices an unsafe host into the text", () => {
        assert.throws(() => renderProxyConfig({ color: "green", host: "x;evil", port: 8080 }, routing), /host/);
    });
});

describe("swarm service arguments", () => {
    const inputs: SwarmServiceInputs = {
        name: "dev-proxy",
        image: "bluegreen-nginx:local",
        imageId: "sha256:1",
        resolveImage: false,
        network: "dev-net",
        replicas: 1,
        ports: [{ published: 8080, target: 80 }],
        labels: { "io.bluegreen.managed": "dev" },
        nodeId: "node1",
        command: ["nginx", "-g", "daemon off;"],
        env: { A: "b" },
        filesDir: "/etc/nginx/bluegreen",
    };

    it("uses DNS round-robin, host-mode ports and pins to the manager", () => {
        const args = createArgs(inputs);
        assert.deepStrictEqual(args.slice(0, 7), [
            "service",
            "create",
            "--detach",
            "--name",
            "dev-proxy",
            "--replicas",
            "1",
        ]);
        const pairs = args.map((a, i) => `${a} ${args[i + 1]}`);
        assert.ok(pairs.includes("--endpoint-mode dnsrr"));
        assert.ok(pairs.includes("--publish mode=host,target=80,published=8080,protocol=tcp"));
        assert.ok(pairs.includes("--constraint node.id==node1"));
        assert.ok(pairs.includes("--mount type=volume,source=dev-proxy-files,target=/etc/nginx/bluegreen"));
        assert.ok(pairs.includes("--container-label io.bluegreen.managed=dev"));
        assert.ok(args.includes("--no-resolve-image"), "a local image has no registry to resolve");
        assert.deepStrictEqual(args.slice(-4), ["bluegreen-nginx:local", "nginx", "-g", "daemon off;"]);
    });

    it("spreads colours over the nodes and resolves registry images", () => {
        const args = createArgs({ ...inputs, nodeId: "", resolveImage: true, filesDir: "", ports: [] });
        assert.ok(!args.some((a) => a.startsWith("node.id")));
        assert.ok(!args.includes("--no-resolve-image"));
        assert.ok(!args.includes("--publish"));
    });

    it("seeds files at task start only when missing, in a shell wrapper", () => {
        const seeded = seededCommand({ files: [{ path: "/etc/x/a.conf", content: "hello\n" }], command: ["nginx"] });
        assert.deepStrictEqual(seeded.env, { BLUEGREEN_SEED_0: Buffer.from("hello\n").toString("base64") });
        assert.deepStrictEqual(seeded.command?.slice(0, 2), ["sh", "-c"]);
        assert.strictEqual(
            seeded.command?.[2],
            '{ [ -s /etc/x/a.conf ] || printenv BLUEGREEN_SEED_0 | base64 -d > /etc/x/a.conf; } && exec "$@"',
        );
        assert.deepStrictEqual(seeded.command?.slice(3), ["--", "nginx"]);
        assert.deepStrictEqual(seededCommand({ files: [], command: undefined }), { command: undefined, env: {} });
        assert.throws(() => seededCommand({ files: [{ path: "/a b", content: "" }], command: ["x"] }), /plain/);
    });

    it("pins only to a known manager", () => {
        assert.strictEqual(pinnedNode({ onManager: false }, undefined), "");
        assert.strictEqual(pinnedNode({ onManager: true }, { managerNodeId: "m" }), "m");
        assert.throws(() => pinnedNode({ onManager: true }, undefined), /swarm/);
    });
});
