// A rollback moves traffic before its update records it (scripts/commands/trafficFirst.ts): the
// app's record in nginx's config, as its proxy switch wrote it, served by another colour and with
// no canary. The update that follows renders this very record from config, so it finds nginx
// serving it already.
import type { Color } from "./color";
import type { AppRecord } from "./nginx/apps";

/** `record` with every client on `color`: its colour's host on the same port, the canary share gone. */
export function recordServing(record: AppRecord, color: Color): AppRecord {
    const { canary, ...edge } = record.edge; // the canary share ends
    return { ...record, target: { color, host: colourHost(record, color), port: record.target.port }, edge };
}

/** The host nginx reaches `color` at: the live one's, the canary's, or the live one's name for the other colour. */
function colourHost(record: AppRecord, color: Color): string {
    if (record.target.color === color) {
        return record.target.host;
    }
    if (record.edge.canary?.color === color) {
        return record.edge.canary.host;
    }
    // Colours are named alike (<app>-blue, tasks.<app>-green: components/placement.ts).
    const suffix = `-${record.target.color}`;
    if (!record.target.host.endsWith(suffix)) {
        throw new Error(`the ${record.target.color} colour's host ${record.target.host} does not end in ${suffix}`);
    }
    return `${record.target.host.slice(0, -suffix.length)}-${color}`;
}
