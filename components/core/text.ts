// Output as one line for a message. Pure.

/** The first non-empty line, trimmed. */
export function firstLine(text: string): string {
    return (
        text
            .split("\n")
            .map((l) => l.trim())
            .find((l) => l.length > 0) ?? ""
    );
}

/** The last non-empty line, trimmed, or `(no output)`. */
export function lastLine(text: string): string {
    const lines = text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.length > 0);
    return lines.length > 0 ? lines[lines.length - 1] : "(no output)";
}
