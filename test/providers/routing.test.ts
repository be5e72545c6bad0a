// Several apps' routing rendered for real nginx (core/nginx/routes.ts) picks, for every host and
// path tried, the app core/routing.ts's routeFor picks, and the proxy's 404 where no app claims.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NO_APP_BODY, routeServers, routingHttpSettings } from "../../components/core/nginx/routes";
import { type RouteClaim, routeFor } from "../../components/core/routing";
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
${routingHttpSettings()}${routeServers(claims, "80", appLocation)}}
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
