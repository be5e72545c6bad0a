// The helpers behind `npm run <command>` (scripts/run.sh): thin wrappers over `pulumi config set`
// and `pulumi up` that read the truth about traffic from nginx itself. One file a command, in
// scripts/commands/.
import { abort } from "./commands/abort";
import { maintenance } from "./commands/maintenance";
import { preview } from "./commands/preview";
import { promote } from "./commands/promote";
import { recover } from "./commands/recover";
import { release } from "./commands/release";
import { rollback } from "./commands/rollback";
import { status } from "./commands/status";

/** Each command with its arguments and the app `--app NAME` names (undefined: the stack's own). */
const COMMANDS: Record<string, (args: string[], app?: string) => Promise<number>> = {
    release,
    promote: (_, app) => promote(app),
    abort: (_, app) => abort(app),
    rollback: (_, app) => rollback(app),
    status: (_, app) => status(app),
    recover: (_, app) => recover(app),
    preview: (args) => preview(args),
    maintenance: (args, app) => maintenance(args[0], app),
};

const USAGE =
    "usage: cli.js [--app NAME] release <image> [--canary N] | promote | abort | rollback | status | recover | " +
    "preview [--markdown] | maintenance on|off   (--app NAME: an app of bluegreen:apps)";

/** Takes `--app NAME` out of the arguments, wherever it is. */
function appArg(args: string[]): { app?: string; rest: string[] } {
    const at = args.indexOf("--app");
    if (at < 0) {
        return { rest: args };
    }
    const app = args[at + 1];
    if (app === undefined || app.startsWith("--")) {
        throw new Error("--app needs an app's name (a key of bluegreen:apps)");
    }
    return { app, rest: [...args.slice(0, at), ...args.slice(at + 2)] };
}

async function main(): Promise<number> {
    const [command, ...all] = process.argv.slice(2);
    const { app, rest: args } = appArg(all);
    const run =
        command !== undefined && Object.prototype.hasOwnProperty.call(COMMANDS, command)
            ? COMMANDS[command]
            : undefined;
    if (run === undefined) {
        throw new Error(USAGE);
    }
    return run(args, app);
}

main().then(
    (code) => process.exit(code),
    (err: Error) => {
        console.error(`error: ${err.message}`);
        process.exit(2);
    },
);
