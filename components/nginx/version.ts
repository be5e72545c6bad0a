// The version endpoint: every rendered config answers its own hash, so a reload is confirmed exactly.
import { createHash } from "crypto";

/** Where the version endpoint answers; the proxy switch confirms a reload through it. */
export const VERSION_PATH = "/__bluegreen/version";

const VERSION_PLACEHOLDER = "@@BLUEGREEN_CONFIG_VERSION@@";

export function versionLocation(color: string): string {
    return `
        # Confirms a reload exactly: a fresh connection sees the new version or the reload failed.
        location = ${VERSION_PATH} {
            default_type text/plain;
            add_header Cache-Control "no-store" always;
            return 200 "${VERSION_PLACEHOLDER} ${color}\\n";
        }
`;
}

/** Fills in the version: a hash of the whole text (placeholders included), the same for the same config. */
export function stamp(body: string): { text: string; version: string } {
    const version = createHash("sha256").update(body).digest("hex").slice(0, 12);
    return { text: body.split(VERSION_PLACEHOLDER).join(version), version };
}

/** Reads the version and colour back from a version-endpoint body ("<version> <colour>"). */
export function parseVersionBody(body: string): { version: string; color: string } | undefined {
    const match = /^([0-9a-f]{12}) (blue|green|none)\s*$/.exec(body);
    return match ? { version: match[1], color: match[2] } : undefined;
}
