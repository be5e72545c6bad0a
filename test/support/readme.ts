// Reads the walk-throughs out of README.md, so the README walk-through test runs what users read.

export interface WalkThrough {
    /** The bold label that opens it in the README, e.g. "Release". */
    readonly name: string;
    /** Its shell commands, in order, without comments. */
    readonly commands: string[];
}

/** A command line without its trailing `# comment` (comments here never follow quotes). */
export function stripComment(line: string): string {
    return line.replace(/(^|\s)#.*$/, "").trim();
}

/**
 * The `sh` code blocks of the "Walk-throughs" section, each under the bold label of the paragraph
 * before it (`**Release** a new image: ...`), up to the next heading. A label with several blocks gets
 * their commands in order.
 */
export function walkThroughs(readme: string, section = "Walk-throughs"): WalkThrough[] {
    const start = readme.indexOf(`\n## ${section}\n`);
    if (start < 0) {
        throw new Error(`README has no "## ${section}" section`);
    }
    const end = readme.indexOf("\n## ", start + 1);
    const lines = readme.slice(start, end < 0 ? undefined : end).split("\n");
    const found: WalkThrough[] = [];
    let label: string | undefined;
    let inBlock = false;
    for (const line of lines) {
        if (inBlock) {
            if (line.startsWith("```")) {
                inBlock = false;
                continue;
            }
            const command = stripComment(line);
            if (command !== "" && label !== undefined) {
                found.find((w) => w.name === label)!.commands.push(command);
            }
            continue;
        }
        const bold = /^\*\*([^*]+)\*\*/.exec(line);
        if (bold) {
            label = bold[1];
        } else if (line.startsWith("#")) {
            label = undefined; // a sub-heading ends the label: its blocks are examples, not steps
        } else if (line.startsWith("```sh")) {
            inBlock = true;
            if (label !== undefined && !found.some((w) => w.name === label)) {
                found.push({ name: label, commands: [] });
            }
        }
    }
    return found;
}

/** The walk-through with this label; throws naming the labels there are, so README drift is caught. */
export function walkThrough(all: WalkThrough[], name: string): WalkThrough {
    const found = all.find((w) => w.name === name);
    if (found === undefined || found.commands.length === 0) {
        throw new Error(`README walk-through "${name}" not found; have: ${all.map((w) => w.name).join(", ")}`);
    }
    return found;
}
