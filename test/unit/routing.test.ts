// Routing rules for several apps on one proxy (core/routing.ts): what is allowed, what conflicts,
// and which app each request goes to.
import * as assert from "assert";
import { ConfigError } from "../../components/core/configError";
import {
    assertNoRouteConflict,
    prefixCovers,
    type RouteClaim,
    routeConflict,
    routeFor,
    validateHosts,
    validatePathPrefix,
} from "../../components/core/routing";
import { prng } from "../support/prng";

const claim = (app: string, hosts: string[], pathPrefix = "/"): RouteClaim => ({ app, hosts, pathPrefix });

const HOSTILE = [";", "{", "}", "$", '"', "'", "\\", "#", " ", "\t", "\n", "\r", "\u0000", "é", "🚀", "\u2028", "`"];

/** A value made of `safe` characters with at least one hostile one at a random place. */
function hostile(random: () => number, safe: string): string {
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    const chars: string[] = [];
    const length = 1 + Math.floor(random() * 40);
    for (let i = 0; i < length; i++) chars.push(random() < 0.2 ? pick(HOSTILE) : pick(safe.split("")));
    chars.splice(Math.floor(random() * (chars.length + 1)), 0, pick(HOSTILE));
    return chars.join("");
}

function throwsConfigError(fn: () => unknown, message: RegExp): void {
    assert.throws(fn, (e: unknown) => e instanceof ConfigError && message.test(e.message) && !e.message.includes("\n"));
}

describe("routing: hosts and path prefixes", () => {
    it("accepts exact names, wildcards and IPv4 addresses", () => {
        assert.deepStrictEqual(validateHosts("hosts", ["app.example.com", "*.example.com", "localhost", "10.0.0.1"]), [
            "app.example.com",
            "*.example.com",
            "localhost",
            "10.0.0.1",
        ]);
        assert.deepStrictEqual(validateHosts("hosts", []), []);
    });

    it("refuses malformed and repeated names in one line naming the setting", () => {
        for (const bad of [
            "App.example.com",
            "a..b",
            "-a.com",
            "a.com.",
            "*.",
            "a.*.com",
            "*",
            "a_b.com",
            "x".repeat(64),
        ]) {
            throwsConfigError(
                () => validateHosts('App "api": hosts', [bad]),
                /^App "api": hosts must be lower-case DNS names/,
            );
        }
        throwsConfigError(
            () => validateHosts("hosts", ["a.com", "a.com"]),
            /^hosts must be a list without repeated names/,
        );
        throwsConfigError(
            () =>
                validateHosts(
                    "hosts",
                    Array.from({ length: 101 }, (_, i) => `h${i}.com`),
                ),
            /^hosts must be at most 100 host names \(got "101 names"\)$/,
        );
    });

    it("accepts / and whole-segment prefixes, refuses the rest", () => {
        for (const good of ["/", "/api", "/api/v1", "/a.b", "/~user", "/x-y_z"]) {
            assert.strictEqual(validatePathPrefix("pathPrefix", good), good);
        }
        for (const bad of [
            "",
            "api",
            "/api/",
            "//",
            "/a//b",
            "/.",
            "/..",
            "/a/../b",
            "/.hidden",
            "/a b",
            "/a?b",
            "/a%2f",
            `/${"a".repeat(256)}`,
        ]) {
            throwsConfigError(
                () => validatePathPrefix("pathPrefix", bad),
                /^pathPrefix must be \/ or a path like \/api\/v1/,
            );
        }
    });

    it("refuses 1,000 hostile host names and 1,000 hostile prefixes, each in one line", () => {
        const random = prng(27);
        for (let i = 0; i < 1000; i++) {
            const host = hostile(random, "abc.-*19");
            throwsConfigError(() => validateHosts("hosts", [host]), /^hosts must be /);
            const prefix = `/${hostile(random, "abc/._~-19")}`;
            throwsConfigError(() => validatePathPrefix("pathPrefix", prefix), /^pathPrefix must be /);
        }
    });
});

describe("routing: conflicts", () => {
    it("allows distinct hosts, distinct prefixes on one host, and one default app", () => {
        assert.strictEqual(
            routeConflict([
                claim('App "web"', []),
                claim('App "api"', ["api.example.com"]),
                claim('App "v2"', ["api.example.com"], "/v2"),
                claim('App "any"', ["*.example.com"]),
            ]),
            undefined,
        );
    });

    it("names both apps when they claim the same host and prefix", () => {
        assert.strictEqual(
            routeConflict([claim('App "a"', ["x.com", "y.com"], "/api"), claim('App "b"', ["y.com"], "/api")]),
            'App "a" and App "b" both claim y.com with path prefix /api: one app per host and prefix',
        );
    });

    it("names both apps when two claim no host", () => {
        throwsConfigError(
            () => assertNoRouteConflict([claim('App "a"', []), claim('App "b"', [], "/b")]),
            /^App "a" and App "b" both claim no host: at most one app may be the default/,
        );
    });
});

describe("routing: which app a request goes to", () => {
    const claims = [
        claim("default", []),
        claim("exact", ["shop.example.com"]),
        claim("exact-api", ["shop.example.com"], "/api"),
        claim("exact-api-v2", ["shop.example.com"], "/api/v2"),
        claim("wild", ["*.example.com"]),
        claim("wild-deep", ["*.eu.example.com"]),
        claim("only-admin", ["admin.example.org"], "/admin"),
    ];

    it("an exact host first, then the longest wildcard, then the default app", () => {
        assert.strictEqual(routeFor(claims, "shop.example.com", "/"), "exact");
        assert.strictEqual(routeFor(claims, "blog.example.com", "/"), "wild");
        assert.strictEqual(routeFor(claims, "a.b.example.com", "/"), "wild");
        assert.strictEqual(routeFor(claims, "shop.eu.example.com", "/"), "wild-deep");
        assert.strictEqual(routeFor(claims, "example.com", "/"), "default");
        assert.strictEqual(routeFor(claims, "127.0.0.1", "/"), "default");
    });

    it("the Host header's case and port do not matter", () => {
        assert.strictEqual(routeFor(claims, "SHOP.Example.com:8443", "/api/x"), "exact-api");
    });

    it("within a host the longest prefix wins, in whole segments", () => {
        assert.strictEqual(routeFor(claims, "shop.example.com", "/api"), "exact-api");
        assert.strictEqual(routeFor(claims, "shop.example.com", "/api/v2/orders"), "exact-api-v2");
        assert.strictEqual(routeFor(claims, "shop.example.com", "/api/v20"), "exact-api");
        assert.strictEqual(routeFor(claims, "shop.example.com", "/apix"), "exact");
        assert.strictEqual(prefixCovers("/api", "/api/"), true);
        assert.strictEqual(prefixCovers("/api", "/apix"), false);
    });

    it("a host that matched but no prefix did gets the 404, not the default app", () => {
        assert.strictEqual(routeFor(claims, "admin.example.org", "/admin/users"), "only-admin");
        assert.strictEqual(routeFor(claims, "admin.example.org", "/"), undefined);
        assert.strictEqual(routeFor([claim("api", ["api.example.com"])], "other.example.com", "/"), undefined);
    });
});
