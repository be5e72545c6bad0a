// Every resource a stack of the previous main holds is found by the new code: under Pulumi mocks,
// the previous main's graph (one BlueGreenService) and index.ts's Proxy and App are built for each
// variant (engines, a remote engine, a swarm, ACME, registry logins, a smoke test, a canary), and
// each old URN must be the URN, or resolve to an alias, of exactly one new resource, as the engine
// resolves aliases (a child inherits its parent's). An old URN nothing claims would be deleted.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as path from "path";
import { previousMain } from "../support/previousMain";
import type { Registration } from "../support/graphUrns";
import { VARIANTS } from "../support/graphUrns";

const REPO = path.resolve(__dirname, "../../..");
const DRIVER = path.join(REPO, "bin/test/support/graphUrns.js");
const PREFIX = "urn:pulumi:dev::bluegreen::";

function graph(side: "old" | "new", repo: string, variant: string): Registration[] {
    const out = childProcess.execFileSync("node", [DRIVER, side, repo, variant], { encoding: "utf8", timeout: 60000 });
    return JSON.parse(out) as Registration[];
}

/** The qualified type a URN's children are typed under (`A$B` of `urn:…::A$B::name`). */
function qualifiedType(urn: string): string {
    return urn.slice(PREFIX.length).split("::")[0];
}

function urnOf(type: string, name: string, parent: string): string {
    const parentType = parent === "" ? "" : `${qualifiedType(parent)}$`;
    return `${PREFIX}${parentType}${type}::${name}`;
}

function nameOf(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/**
 * The old URN each new resource takes over, as pulumi's step generator finds it: its own URN, its
 * aliases, and those its parent's matched alias gives it (a child named `<parent>-x` follows a
 * renamed parent). Registration order puts parents first.
 */
function resolve(news: Registration[], olds: Set<string>): Map<string, string> {
    const matched = new Map<string, string>(); // new URN -> old URN it took over
    const urns = new Map<Registration, string>();
    for (const r of news) {
        const urn = urnOf(r.type, r.name, r.parent);
        urns.set(r, urn);
        const own = r.aliases.map((a) => {
            const parent = a.noParent ? "" : (a.parentUrn ?? (a as { parenturn?: string }).parenturn ?? r.parent);
            return urnOf(a.type || r.type, a.name || r.name, parent || (a.noParent ? "" : r.parent));
        });
        const candidates = [urn, ...own];
        const parentOld = matched.get(r.parent);
        if (r.parent !== "" && parentOld !== undefined && parentOld !== r.parent) {
            const parentName = nameOf(r.parent);
            const inherit = (type: string, name: string) =>
                urnOf(
                    type,
                    name.startsWith(parentName) ? nameOf(parentOld) + name.slice(parentName.length) : name,
                    parentOld,
                );
            candidates.push(inherit(r.type, r.name));
            for (const alias of own) {
                const type = alias.slice(PREFIX.length).split("::")[0].split("$").pop()!;
                candidates.push(inherit(type, nameOf(alias)));
            }
        }
        const found = candidates.find((c) => olds.has(c));
        if (found !== undefined) {
            matched.set(urn, found);
        }
    }
    return matched;
}

describe("aliases: every resource of a stack deployed by the previous main is kept (mocks)", function () {
    this.timeout(300000);
    let previous = "";

    before(() => {
        previous = previousMain();
    });

    for (const variant of Object.keys(VARIANTS)) {
        it(variant, () => {
            const old = graph("old", previous, variant);
            const olds = new Set(old.map((r) => urnOf(r.type, r.name, r.parent)));
            assert.ok(olds.size >= 10, `the previous graph has its resources (${olds.size})`);
            const news = graph("new", REPO, variant);
            const matched = resolve(news, olds);
            const claimed = [...matched.values()];
            const twice = claimed.filter((urn, i) => claimed.indexOf(urn) !== i);
            assert.deepStrictEqual(twice, [], "no old resource is taken over twice");
            const lost = [...olds].filter((urn) => !claimed.includes(urn));
            assert.deepStrictEqual(lost, [], "every old resource is taken over by a new one");
            // What the new code adds: only the Proxy component (no physical resource).
            const added = news.map((r) => urnOf(r.type, r.name, r.parent)).filter((urn) => !matched.has(urn));
            assert.deepStrictEqual(added, [`${PREFIX}bluegreen:index:Proxy::dev`]);
            // A custom resource keeps its type: a change of type would replace it.
            for (const [now, before] of matched) {
                const kind = (urn: string) => urn.slice(PREFIX.length).split("::")[0].split("$").pop();
                const custom = news.find((r) => urnOf(r.type, r.name, r.parent) === now)!.custom;
                if (custom) {
                    assert.strictEqual(kind(now), kind(before), `${now} keeps the type of ${before}`);
                }
            }
        });
    }
});
