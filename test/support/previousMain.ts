// The previous main (before the Proxy/App API), built in a git worktree outside the checkout, once
// per test process: what existing stacks were deployed with. Removed when the process ends.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "../../..");
/** main before the Proxy/App API (issue 26): the layout existing stacks were deployed with. */
export const PREVIOUS_MAIN = "a5dbd6776c122aaacd2e187648c03769c886686f";

let built: string | undefined;

function git(args: string[]): string {
    return childProcess.execFileSync("git", args, { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The worktree's root, with bin/ built and this checkout's node_modules (the same versions). */
export function previousMain(): string {
    if (built !== undefined) {
        return built;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-previous-"));
    try {
        git(["worktree", "add", "--detach", dir, PREVIOUS_MAIN]);
    } catch (err) {
        throw new Error(
            `cannot check out ${PREVIOUS_MAIN} (the previous main) for the upgrade tests; a shallow clone has no ` +
                `history: clone the whole repository (${(err as Error).message.split("\n")[0]})`,
        );
    }
    process.on("exit", () => {
        childProcess.spawnSync("git", ["worktree", "remove", "--force", dir], { cwd: REPO });
    });
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    childProcess.execFileSync("npx", ["tsc", "-p", "."], { cwd: dir, stdio: "ignore" });
    built = dir;
    return dir;
}
