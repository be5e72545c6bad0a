import * as assert from "assert";
import { parseVersionBody, renderPlaceholderConfig, renderProxyConfig, VERSION_PATH } from "../../components/nginx";

describe("nginx config rendering", () => {
    const green = renderProxyConfig({ color: "green", host: "dev-green", port: 8080 });

    it("sends all traffic to the live colour's container", () => {
        assert.match(green.text, /upstream bluegreen_live \{\s+#[^\n]*\n\s+server dev-green:8080 max_fails=0;/);
        assert.match(green.text, /proxy_pass http:\/\/bluegreen_live;/);
        assert.strictEqual(green.text.match(/server dev-/g)?.length, 1);
    });

    it("tags every proxied response with the serving colour", () => {
        assert.match(green.text, /add_header X-Color green always;/);
    });

    it("carries the settings that make reloads lossless", () => {
        assert.match(green.text, /keepalive_min_timeout 1s;/);
        assert.match(green.text, /worker_shutdown_timeout 30s;/);
        assert.match(green.text, /keepalive 128;/);
        assert.match(green.text, /proxy_next_upstream error timeout;/);
        assert.doesNotMatch(green.text.replace(/#[^\n]*/g, ""), /non_idempotent/);
        assert.doesNotMatch(green.text.replace(/#[^\n]*/g, ""), /reuseport/);
    });

    it("stamps a version that the version endpoint returns", () => {
        assert.match(green.version, /^[0-9a-f]{12}$/);
        assert.ok(green.text.includes(`location = ${VERSION_PATH}`));
        assert.ok(green.text.includes(`return 200 "${green.version} green\\n";`));
        assert.deepStrictEqual(parseVersionBody(`${green.version} green\n`), {
            version: green.version,
            color: "green",
        });
    });

    it("is deterministic and changes version with the target", () => {
        assert.deepStrictEqual(renderProxyConfig({ color: "green", host: "dev-green", port: 8080 }), green);
        const blue = renderProxyConfig({ color: "blue", host: "dev-blue", port: 8080 });
        assert.notStrictEqual(blue.version, green.version);
        assert.notStrictEqual(
            renderProxyConfig({ color: "green", host: "dev-green", port: 9090 }).version,
            green.version,
        );
    });

    it("refuses hosts and ports that could inject directives", () => {
        for (const host of ["a;b", "a b", "a{", "a\nb", ""]) {
            assert.throws(() => renderProxyConfig({ color: "blue", host, port: 80 }), /host must be a container name/);
        }
        assert.throws(() => renderProxyConfig({ color: "blue", host: "a", port: 0 }), /port must be an integer/);
        assert.throws(
            () => renderProxyConfig({ color: "red" as "blue", host: "a", port: 80 }),
            /colour must be blue or green/,
        );
    });

    it("starts a new proxy on a placeholder that answers 503 and reports no colour", () => {
        const placeholder = renderPlaceholderConfig();
        assert.match(placeholder.text, /return 503/);
        assert.ok(placeholder.text.includes(`return 200 "${placeholder.version} none\\n";`));
        assert.doesNotMatch(placeholder.text, /upstream/);
    });

    it("parses only well-formed version bodies", () => {
        assert.strictEqual(parseVersionBody("nope"), undefined);
        assert.strictEqual(parseVersionBody("0123456789ab red"), undefined);
    });
});
