// Maintenance mode: nginx itself answers 503 for every path but the app's health path (still
// proxied, so monitors and the release guard see the colours) and the version endpoint.
import { proxyPass } from "./proxyPass";

export interface Maintenance {
    /** The 503's body; validated by config.ts (no quotes, $, ; or braces). */
    readonly message: string;
    /** The app's health path: still answered by the live colour. */
    readonly healthPath: string;
}

/** How long clients are told to wait before trying again. */
export const RETRY_AFTER_SECONDS = 60;

function assertSafe(m: Maintenance): void {
    if (!/^[A-Za-z0-9 .,:!?'()/@&+-]{1,200}$/.test(m.message)) {
        throw new Error(`maintenance message has characters nginx must not see (got ${JSON.stringify(m.message)})`);
    }
    if (!/^\/[A-Za-z0-9._~/-]{0,255}$/.test(m.healthPath)) {
        throw new Error(`health path must be a plain URL path (got ${JSON.stringify(m.healthPath)})`);
    }
}

export function maintenanceLocations(m: Maintenance, upstream: string, color: string, connectTimeout: string): string {
    return `${proxyPass(`= ${m.healthPath}`, upstream, color, connectTimeout)}${maintenanceAnswer(m, "/")}`;
}

/** `location <match>` answering the maintenance page; `match` is a fixed prefix or `= <path>`. */
export function maintenanceAnswer(m: Maintenance, match: string): string {
    assertSafe(m);
    return `
        # Maintenance: the colours keep running; only this answer changes.
        location ${match} {
            default_type text/plain;
            add_header Retry-After ${RETRY_AFTER_SECONDS} always;
            add_header Cache-Control "no-store" always;
            return 503 "${m.message}\\n";
        }
`;
}
