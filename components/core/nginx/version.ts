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

export function versionLocation(color: string, canary?: ServedCanary): string {
    const share = canary ? ` canary ${canary.percent} ${canary.color}` : "";
    return `
        # Confirms a reload exactly: a fresh connection sees the new version or the reload failed.
        location = ${VERSION_PATH} {
            default_type text/plain;
            add_header Cache-Control "no-store" always;
            return 200 "${VERSION_PLACEHOLDER} ${color}${share}\\n";
        }
`;
}

/** Fills in the version: a hash of the whole text (placeholders included), the same for the same config. */
export function stamp(body: string): { text: string; version: string } {
    const version = createHash("sha256").update(body).digest("hex").slice(0, 12);
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
