// Where the containers run (components/core/site.ts), the raw HTTP a probe from a container reads, and
// the shared-connection ssh wrapper.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../../components/core/configError";
import { colourEndpoint, describeEngineFailure, proxyEndpoint, siteOf } from "../../components/core/site";
import { parseRawHttp } from "../../components/runtime/reach";
import { dockerEnv, SSH_MUX_OPTIONS, wrapperScript } from "../../components/runtime/sshMux";
import { findSite } from "../../components/runtime/engineAddress";

describe("site of the engine", () => {
    it("treats no address and unix sockets as this machine", () => {
        assert.deepStrictEqual(siteOf(undefined), { kind: "local", address: "unix:///var/run/docker.sock" });
        assert.deepStrictEqual(siteOf(""), { kind: "local", address: "unix:///var/run/docker.sock" });
        assert.strictEqual(siteOf("unix:///run/other.sock").kind, "local");
    });

    it("reads user, host and port of an ssh:// engine", () => {
        assert.deepStrictEqual(siteOf("ssh://deploy@10.0.0.5:2222"), {
            kind: "remote",
            address: "ssh://deploy@10.0.0.5:2222",
            ssh: { destination: "deploy@10.0.0.5", port: 2222 },
        });
        assert.deepStrictEqual(siteOf("ssh://server.example").ssh, { destination: "server.example" });
    });

    it("treats tcp:// as remote without ssh", () => {
        assert.deepStrictEqual(siteOf("tcp://10.0.0.5:2376"), { kind: "remote", address: "tcp://10.0.0.5:2376" });
    });

    it("refuses anything else in one line naming the forms it takes", () => {
        for (const bad of ["ssh://user@host;rm -rf /", "10.0.0.5:2375", "ssh://"]) {
            assert.throws(
                () => siteOf(bad),
                (err: Error) =>
                    err instanceof ConfigError &&
                    /^DOCKER_HOST \(or the docker context\) is .*: expected unix:\/\/\/path, ssh:\/\/\[user@\]host\[:port\] or tcp:\/\/host:port$/.test(
                        err.message,
                    ),
            );
        }
    });

    it("probes a local engine's colours and nginx on 127.0.0.1 from here", () => {
        const local = siteOf(undefined);
        assert.deepStrictEqual(
            colourEndpoint(local, { app: "dev", proxy: "dev" }, "green", { hostPort: 8082, appPort: 8080 }),
            {
                url: "http://127.0.0.1:8082",
            },
        );
        assert.deepStrictEqual(proxyEndpoint(local, "dev", 8080, false), { url: "http://127.0.0.1:8080" });
    });

    it("probes a remote engine's colours and nginx from inside the proxy container", () => {
        const remote = siteOf("ssh://root@10.0.0.5");
        assert.deepStrictEqual(
            colourEndpoint(remote, { app: "dev", proxy: "dev" }, "green", { hostPort: 8082, appPort: 9000 }),
            {
                url: "http://dev-green:9000",
                from: { name: "dev-proxy" },
            },
        );
        assert.deepStrictEqual(proxyEndpoint(remote, "dev", 8080, false), {
            url: "http://127.0.0.1:80",
            from: { name: "dev-proxy" },
        });
        assert.deepStrictEqual(proxyEndpoint(remote, "dev", 8080, true).from, { name: "dev-proxy", service: true });
    });
});

describe("finding the engine's address as the docker CLI does", () => {
    it("takes DOCKER_HOST first, then the chosen docker context's endpoint, else this machine", () => {
        const config = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-docker-config-"));
        try {
            const made = childProcess.spawnSync(
                "docker",
                ["--config", config, "context", "create", "app", "--docker", "host=ssh://deploy@10.0.0.5"],
                { encoding: "utf8" },
            );
            assert.strictEqual(made.status, 0, made.stderr);
            const env = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: config };
            assert.deepStrictEqual(findSite({ ...env, DOCKER_CONTEXT: "app" }).ssh, { destination: "deploy@10.0.0.5" });
            assert.strictEqual(findSite(env).kind, "local", "no context chosen");
            fs.writeFileSync(path.join(config, "config.json"), JSON.stringify({ currentContext: "app" }));
            assert.strictEqual(findSite(env).address, "ssh://deploy@10.0.0.5", "docker context use app");
            assert.strictEqual(
                findSite({ ...env, DOCKER_HOST: "unix:///run/x.sock" }).kind,
                "local",
                "DOCKER_HOST wins",
            );
        } finally {
            fs.rmSync(config, { recursive: true, force: true });
        }
    });
});

describe("engine failures, in one line", () => {
    const site = siteOf("ssh://root@10.0.0.5");
    const dial =
        'error during connect: Get "http://docker.example.com/v1.41/containers/json": command [ssh -l root -- 10.0.0.5 docker system dial-stdio] has exited with exit status 255, please make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=';
    const cases: [string, RegExp][] = [
        [`${dial}root@10.0.0.5: Permission denied (publickey).`, /ssh refused the key; add your public key/],
        [
            `${dial}ssh: connect to host 10.0.0.5 port 22: Connection refused`,
            /nothing accepts connections on its ssh port/,
        ],
        [`${dial}ssh: connect to host 10.0.0.5 port 22: No route to host`, /the host is unreachable/],
        [`${dial}ssh: connect to host 10.0.0.5 port 22: Connection timed out`, /the host is unreachable/],
        [`${dial}ssh: Could not resolve hostname nowhere: Name or service not known`, /the host name does not resolve/],
        [`${dial}Host key verification failed.`, /does not trust the host key; add the host to ~\/\.ssh\/known_hosts/],
        [
            `${dial}bash: line 1: docker: command not found`,
            /there is no docker command on the host; install Docker there/,
        ],
        [
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
            /the Docker daemon there does not answer/,
        ],
        [
            "Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get ...: dial unix /var/run/docker.sock: connect: permission denied",
            /the ssh user may not use Docker there; add the user to the docker group/,
        ],
    ];
    for (const [output, expected] of cases) {
        it(`says ${expected.source.split(";")[0].replace(/\\/g, "")}`, () => {
            const line = describeEngineFailure(site, output);
            assert.match(line, /^cannot reach the Docker engine at ssh:\/\/root@10\.0\.0\.5: /);
            assert.match(line, expected);
            assert.match(line, /; nothing was changed$/);
            assert.ok(!line.includes("\n"));
        });
    }

    it("quotes the last line of anything it does not know, bounded", () => {
        const line = describeEngineFailure(site, `first\nsomething odd ${"x".repeat(500)}\n`);
        assert.match(line, /it does not answer \(something odd x+\); nothing was changed$/);
        assert.ok(line.length < 320, `bounded: ${line.length}`);
    });
});

describe("raw HTTP answers from a probe inside a container", () => {
    it("reads status, headers and body", () => {
        const answer = parseRawHttp("HTTP/1.1 200 OK\r\nServer: nginx\r\nX-Color: green\r\n\r\nabc123 green\n");
        assert.deepStrictEqual(answer, {
            status: 200,
            headers: { server: "nginx", "x-color": "green" },
            body: "abc123 green\n",
        });
    });

    it("takes a status line without headers, and refuses what is not HTTP", () => {
        assert.strictEqual(parseRawHttp("HTTP/1.0 503 Service Unavailable")?.status, 503);
        assert.strictEqual(parseRawHttp(""), undefined);
        assert.strictEqual(parseRawHttp("SSH-2.0-OpenSSH_9.2\r\n"), undefined);
    });
});

describe("shared ssh connection", () => {
    it("runs the next ssh on PATH with the ControlMaster options, then the caller's arguments", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-mux-"));
        try {
            const fake = path.join(dir, "real");
            const wrapper = path.join(dir, "wrapper");
            fs.mkdirSync(fake);
            fs.mkdirSync(wrapper);
            // A stand-in for OpenSSH that prints what it was given, one argument a line.
            fs.writeFileSync(path.join(fake, "ssh"), '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
            fs.writeFileSync(path.join(wrapper, "ssh"), wrapperScript(), { mode: 0o755 });
            const result = childProcess.spawnSync(
                "ssh",
                ["-l", "root", "--", "10.0.0.5", "docker", "system", "dial-stdio"],
                {
                    encoding: "utf8",
                    env: { PATH: `${wrapper}:${fake}:/usr/bin:/bin`, HOME: dir },
                },
            );
            assert.strictEqual(result.status, 0, result.stderr);
            assert.deepStrictEqual(result.stdout.trim().split("\n"), [
                ...SSH_MUX_OPTIONS,
                "-l",
                "root",
                "--",
                "10.0.0.5",
                "docker",
                "system",
                "dial-stdio",
            ]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("puts the wrapper first on PATH for ssh engines only, and not at all with BLUEGREEN_SSH_MUX=0", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-mux-cache-"));
        try {
            const base = { PATH: "/usr/bin", BLUEGREEN_CACHE: cache };
            const ssh = dockerEnv({ ...base, DOCKER_HOST: "ssh://root@10.0.0.5" });
            assert.strictEqual(ssh.PATH, `${path.join(cache, "ssh-mux")}:/usr/bin`);
            assert.strictEqual(fs.readFileSync(path.join(cache, "ssh-mux", "ssh"), "utf8"), wrapperScript());
            assert.strictEqual(dockerEnv({ ...base, DOCKER_HOST: "unix:///run/x.sock" }).PATH, "/usr/bin");
            assert.strictEqual(
                dockerEnv({ ...base, DOCKER_HOST: "ssh://root@10.0.0.5", BLUEGREEN_SSH_MUX: "0" }).PATH,
                "/usr/bin",
            );
        } finally {
            fs.rmSync(cache, { recursive: true, force: true });
        }
    });
});
