// The version endpoint: every rendered config answers its own hash, so a reload is confirmed exactly.
import { createHash } from "crypto";

/** Where the version endpoint answers; the proxy switch confirms a reload through it. */
export const VERSION_PATH = "/__bluegreen/version";

const VERSION_PLACEHOLDER = "@@BLUEGREEN_CONFIG_VERSION@@";

/** What the endpoint says of a canary: its share and colour, after the live colour. */
export interface ServedCanary {
    readonly percent: number;
    readonly color: string;
}

/**
 * The endpoint at `path`, answering `version` (by default the placeholder stamp() fills in with the
 * whole config's hash; with several apps, each app's own version under its path prefix).
 */
export function versionLocation(
    color: string,
    canary?: ServedCanary,
    path = VERSION_PATH,
    version = VERSION_PLACEHOLDER,
): string {
    const share = canary ? ` canary ${canary.percent} ${canary.color}` : "";
    if (!/^[0-9a-f]{12}$/.test(version) && version !== VERSION_PLACEHOLDER) {
        throw new Error(`a config version is 12 hex digits (got ${JSON.stringify(version)})`);
    }
    return `
        # Confirms a reload exactly: a fresh connection sees the new version or the reload failed.
        location = ${path} {
            default_type text/plain;
            add_header Cache-Control "no-store" always;
            return 200 "${version} ${color}${share}\\n";
        }
`;
}

/** A short hash of `text`: the version of a config, or of one app's part of it. */
export function versionOf(text: string): string {
    return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** Fills in the version: a hash of the whole text (placeholders included), the same for the same config. */
export function stamp(body: string): { text: string; version: string } {
    const version = versionOf(body);
    return { text: body.split(VERSION_PLACEHOLDER).join(version), version };
}

/**
 * Reads the version, the colour and any canary back from a version-endpoint body
 * (`<version> <colour>[ canary <percent> <colour>]`).
 */
export function parseVersionBody(body: string): { version: string; color: string; canary?: ServedCanary } | undefined {
    const match = /^([0-9a-f]{12}) (blue|green|none)(?: canary ([0-9]{1,3}) (blue|green))?\s*$/.exec(body);
    if (!match) {
        return undefined;
    }
    return {
        version: match[1],
        color: match[2],
        ...(match[3] ? { canary: { percent: Number(match[3]), color: match[4] } } : {}),
    };
}
