// A file:// backend keeps each object's metadata in a sidecar `<file>.attrs`, which it rewrites in
// place (truncate, then write): a pulumi killed between the two leaves it empty, and every later
// CLI command on the stack fails with "failed to load checkpoint: EOF". A missing sidecar is
// fine (the defaults apply), so recover removes broken ones.
import * as fs from "fs";
import * as path from "path";

/** Removes the empty or unreadable `.attrs` sidecars of a file:// backend's `.pulumi/`; returns their paths. */
export function removeBrokenSidecars(backend: string): string[] {
    if (!backend.startsWith("file://")) {
        return [];
    }
    const root = path.join(backend.slice("file://".length).replace(/\?.*$/, ""), ".pulumi");
    const entries = fs.existsSync(root) ? fs.readdirSync(root, { recursive: true, encoding: "utf8" }) : [];
    const removed: string[] = [];
    for (const file of entries.filter((e) => e.endsWith(".attrs")).map((e) => path.join(root, e))) {
        let broken: boolean;
        try {
            JSON.parse(fs.readFileSync(file, "utf8"));
            broken = false;
        } catch {
            broken = true;
        }
        if (broken) {
            fs.rmSync(file, { force: true });
            removed.push(file);
        }
    }
    return removed;
}
