// Generated hostile values for every key that reaches nginx or Docker: all must be rejected
// by validation, before any resource exists.
import * as assert from "assert";
import { parseSettings } from "../../components/core/config";
import { ConfigError } from "../../components/core/configError";
import { prng } from "../support/prng";

const BASE: Record<string, string> = { liveColor: "blue", blueImage: "app:1", greenImage: "app:1" };
const HOSTILE = [";", "{", "}", "$", '"', "'", "\\", "#", " ", "\t", "\n", "\r", "\u0000", "é", "🚀", "\u2028"];
const PER_KEY = 1000;
const NOT_IN_MESSAGES = [";", "{", "}", "$", '"', "\\", "#", "\t", "\n", "\r", "\u0000", "é", "🚀", "\u2028", "`", "<"];

function hostileText(random: () => number): string {
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    const safe = "abc:/.-_19";
    const length = random() < 0.05 ? 5000 + Math.floor(random() * 100000) : 1 + Math.floor(random() * 30);
    const chars: string[] = [];
    for (let i = 0; i < Math.min(length, 64); i++) {
        chars.push(random() < 0.3 ? pick(HOSTILE) : pick(safe.split("")));
    }
    // At least one hostile character at a random place.
    chars.splice(Math.floor(random() * (chars.length + 1)), 0, pick(HOSTILE));
    const text = chars.join("");
    return length > 64 ? text + "a".repeat(length - 64) + pick(HOSTILE) : text;
}

function hostileNumber(random: () => number, max: number): string {
    const choices = [
        () => `-${1 + Math.floor(random() * 1e6)}`,
        () => String(max + 1 + Math.floor(random() * 1e9)),
        () => "9".repeat(10 + Math.floor(random() * 300)),
        () => `${Math.floor(random() * 100)}.5`,
        () => `0x${Math.floor(random() * 255).toString(16)}`,
        () => `${Math.floor(random() * 100)}e3`,
        () => "0",
        () => hostileText(random),
    ];
    return choices[Math.floor(random() * choices.length)]();
}

const TEXT_KEYS = [
    "liveColor",
    "blueImage",
    "greenImage",
    "proxyImage",
    "healthPath",
    "maintenance",
    "tlsRedirect",
    "maintenanceMessage",
    "tlsAcmeEmail",
    "acmeImage",
];
const NUMBER_KEYS: [string, number][] = [
    ["publicPort", 65535],
    ["bluePort", 65535],
    ["greenPort", 65535],
    ["appPort", 65535],
    ["httpsPort", 65535],
    ["healthTimeoutSeconds", 3600],
    ["healthIntervalMs", 60000],
    ["healthyThreshold", 100],
];

describe("hostile config values", () => {
    for (const key of [...TEXT_KEYS, ...NUMBER_KEYS.map(([k]) => k), "smokeTest"]) {
        it(`rejects ${PER_KEY} generated values for ${key}`, () => {
            const random = prng(key.length * 7919 + key.charCodeAt(0));
            const max = NUMBER_KEYS.find(([k]) => k === key)?.[1];
            let rejected = 0;
            for (let i = 0; i < PER_KEY; i++) {
                let value = max === undefined ? hostileText(random) : hostileNumber(random, max);
                if (key === "maintenanceMessage") {
                    // Quotes and spaces are words in a message; nginx's string syntax is not.
                    value = `${value}${NOT_IN_MESSAGES[i % NOT_IN_MESSAGES.length]}`;
                }
                if (key === "smokeTest") {
                    // Shell syntax is the point of a smoke test; control characters and length are not.
                    value = `${value}\n${"x".repeat(i % 2 === 0 ? 0 : 1001)}`;
                }
                const values: Record<string, string> = { ...BASE, [key]: value };
                try {
                    parseSettings((k) => values[k]);
                    assert.fail(`${key}=${JSON.stringify(value.slice(0, 80))} was accepted`);
                } catch (err) {
                    assert.ok(err instanceof ConfigError, `${key}: ${err}`);
                    assert.ok(err.message.startsWith(`bluegreen:${key} `), err.message);
                    assert.ok(!/[\n\r\u2028\u2029]/.test(err.message), "one line");
                    assert.ok(err.message.length < 300, "short");
                    rejected++;
                }
            }
            assert.strictEqual(rejected, PER_KEY);
        });
    }
});
