// Several apps' routing rendered for real nginx (core/nginx/routes.ts) picks, for every host and
// path tried, the app core/routing.ts's routeFor picks, and the proxy's 404 where no app claims.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NO_APP_BODY, prefixMatches, routeServers, routingHttpSettings } from "../../components/core/nginx/routes";
import { type RouteClaim, routeFor } from "../../components/core/routing";
import { type AppRecord, renderApps } from "../../components/core/nginx/apps";
import { selfSigned } from "../support/certs";
import { MAKE_VERIFY_DIR } from "../../components/core/nginx/verify";
import { docker, dockerOk } from "../../components/runtime/docker";
import { probe, type ProbeResult, sleep } from "../../components/runtime/probe";

const PORT = 19680;
const CONTAINER = `bgroutes${process.pid}`;

const claim = (app: string, hosts: string[], pathPrefix = "/"): RouteClaim => ({ app, hosts, pathPrefix });

const WITH_DEFAULT = [
    claim("default", []),
    claim("exact", ["shop.example.com", "www.shop.example.com"]),
    claim("exact-api", ["shop.example.com"], "/api"),
    claim("exact-api-v2", ["shop.example.com"], "/api/v2"),
    claim("wild", ["*.example.com"]),
    claim("wild-deep", ["*.eu.example.com"]),
    claim("only-admin", ["admin.example.org"], "/admin"),
    claim("long", [`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.example.net`]),
];
const WITHOUT_DEFAULT = WITH_DEFAULT.filter((c) => c.hosts.length > 0);

const HOSTS = [
    "shop.example.com",
    "SHOP.Example.COM",
    `shop.example.com:${PORT}`,
    "www.shop.example.com",
    "blog.example.com",
    "a.b.example.com",
    "eu.example.com",
    "shop.eu.example.com",
    "x.y.eu.example.com",
    "example.com",
    "admin.example.org",
    "example.org",
    "127.0.0.1",
    `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.example.net`,
];
const PATHS = [
    "/",
    "/api",
    "/api/",
    "/api/v2",
    "/api/v2/orders",
    "/api/v20",
    "/apix",
    "/admin",
    "/admin/users",
    "/x/y",
];

function nginxConf(claims: readonly RouteClaim[]): string {
    const appLocation = (c: RouteClaim, match: string) => `        location ${match} {
            default_type text/plain;
            return 200 ${JSON.stringify(`${c.app}\n`)};
        }
`;
    return `events {}
http {
    access_log off;
${routingHttpSettings()}${routeServers(claims, {
        head: (defaultServer) => `        listen 80${defaultServer ? " default_server" : ""};\n`,
        claimLocations: (c) =>
            prefixMatches(c.pathPrefix)
                .map((match) => appLocation(c, match))
                .join(""),
    })}}
`;
}

/** One GET of `path` on the proxy's port with `host` as the Host header. */
function get(host: string, path: string): Promise<ProbeResult> {
    return probe(`http://127.0.0.1:${PORT}${path}`, 5000, { Host: host });
}

/** Starts nginx with `conf` on PORT and waits until it answers (at most 10 s). */
async function startNginx(conf: string): Promise<void> {
    await docker(["rm", "-f", CONTAINER]);
    await dockerOk(["create", "--name", CONTAINER, "-p", `127.0.0.1:${PORT}:80`, "bluegreen-nginx:local"]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-routes-"));
    try {
        fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
        await dockerOk(["cp", path.join(dir, "nginx.conf"), `${CONTAINER}:/etc/nginx/nginx.conf`]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    await dockerOk(["start", CONTAINER]);
    const deadline = Date.now() + 10000;
    for (;;) {
        const answer = await get("127.0.0.1", "/");
        if (answer.status !== undefined) return;
        if (Date.now() > deadline) {
            const logs = await docker(["logs", "--tail", "5", CONTAINER]);
            throw new Error(`nginx did not answer on ${PORT} within 10 s: ${answer.error}; ${logs.stderr.trim()}`);
        }
        await sleep(100);
    }
}

describe("several apps' routing in real nginx agrees with routeFor", function () {
    this.timeout(60000);

    after(async () => {
        await docker(["rm", "-f", CONTAINER]);
    });

    for (const [name, claims] of [
        ["with a default app", WITH_DEFAULT],
        ["without a default app", WITHOUT_DEFAULT],
    ] as const) {
        it(`${name}: ${HOSTS.length * PATHS.length} host and path pairs`, async () => {
            await startNginx(nginxConf(claims));
            const wrong: string[] = [];
            let notFound = 0;
            for (const host of HOSTS) {
                for (const path of PATHS) {
                    const expected = routeFor(claims, host, path);
                    const got = await get(host, path);
                    const want =
                        expected === undefined
                            ? { status: 404, body: NO_APP_BODY }
                            : { status: 200, body: `${expected}\n` };
                    if (expected === undefined) notFound++;
                    if (got.status !== want.status || got.body !== want.body) {
                        wrong.push(
                            `${host}${path}: nginx ${got.status} ${JSON.stringify(got.body)}, routeFor ${JSON.stringify(want)}`,
                        );
                    }
                }
            }
            assert.deepStrictEqual(wrong, []);
            // Both kinds of answer were exercised.
            assert.ok(notFound > 0 && notFound < HOSTS.length * PATHS.length, `${notFound} 404s`);
        });
    }
});

describe("several apps' whole config (core/nginx/apps.ts) in real nginx", function () {
    this.timeout(60000);

    it("is accepted by nginx -t with HTTPS (redirecting or not), ACME, canaries, verification, maintenance and kept prefixes", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-apps-"));
        try {
            const pair = selfSigned({ names: ["DNS:app.example.com"] });
            fs.writeFileSync(path.join(dir, "c.crt"), pair.certificate);
            fs.writeFileSync(path.join(dir, "c.key"), pair.key);
            const records: AppRecord[] = [
                {
                    app: "web",
                    target: { color: "blue", host: "127.0.0.1", port: 8080 },
                    edge: { canary: { percent: 10, color: "green", host: "127.0.0.1" }, verify: true },
                    route: { hosts: [], pathPrefix: "/", stripPathPrefix: true },
                },
                {
                    app: "api",
                    target: { color: "green", host: "127.0.0.1", port: 9000 },
                    edge: { maintenance: { message: "Back soon.", healthPath: "/health" }, verify: true },
                    route: { hosts: ["app.example.com", "*.example.org"], pathPrefix: "/v1", stripPathPrefix: true },
                },
                {
                    app: "shop",
                    target: { color: "blue", host: "127.0.0.1", port: 9001 },
                    edge: { canary: { percent: 100, color: "green", host: "127.0.0.1" } },
                    route: { hosts: ["app.example.com"], pathPrefix: "/shop", stripPathPrefix: false },
                },
            ];
            const tls = { certificate: "/t/c.crt", key: "/t/c.key", httpsPort: 8443 };
            for (const [name, https] of [
                ["plain HTTP", undefined],
                ["HTTPS with a redirect", { ...tls, redirect: true }],
                ["HTTPS without a redirect, ACME", { ...tls, redirect: false, acmeChallenge: "127.0.0.1:8402" }],
            ] as const) {
                fs.writeFileSync(path.join(dir, "nginx.conf"), renderApps(records, https).text);
                const checked = await docker([
                    "run",
                    "--rm",
                    "-v",
                    `${dir}:/t:ro`,
                    "bluegreen-nginx:local",
                    "sh",
                    "-c",
                    // As the switch's install does: the answers logs' directory first.
                    `${MAKE_VERIFY_DIR} && nginx -t -c /t/nginx.conf`,
                ]);
                assert.strictEqual(checked.code, 0, `${name}: ${checked.stderr}`);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
