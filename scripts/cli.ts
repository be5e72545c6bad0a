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

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
    release,
    promote: () => promote(),
    abort: () => abort(),
    rollback: () => rollback(),
    status: () => status(),
    recover: () => recover(),
    preview,
    maintenance: (args) => maintenance(args[0]),
};

const USAGE =
    "usage: cli.js release <image> [--canary N] | promote | abort | rollback | status | recover | " +
    "preview [--markdown] | maintenance on|off";

async function main(): Promise<number> {
    const [command, ...args] = process.argv.slice(2);
    const run =
        command !== undefined && Object.prototype.hasOwnProperty.call(COMMANDS, command)
            ? COMMANDS[command]
            : undefined;
    if (run === undefined) {
        throw new Error(USAGE);
    }
    return run(args);
}

main().then(
    (code) => process.exit(code),
    (err: Error) => {
        console.error(`error: ${err.message}`);
        process.exit(2);
    },
);
