// `npm run preview [-- --markdown]`: what `pulumi up` would do to traffic, in one line (or as the
// pull request comment, with the whole diff).
import { PreviewJson, renderMarkdown, renderText, summarizePreview } from "../previewSummary";
import { engineOf } from "./engineOf";
import { currentStack, pulumi, serving } from "./stack";

export async function preview(args: string[]): Promise<number> {
    const stack = await currentStack();
    const result = await pulumi(["preview", "--json"]);
    let parsed: PreviewJson;
    try {
        parsed = JSON.parse(result.stdout) as PreviewJson;
    } catch {
        const why = (result.stderr || result.stdout)
            .trim()
            .split("\n")
            .filter((l) => l.trim() !== "");
        parsed = { diagnostics: [{ severity: "error", message: why.find((l) => /error:/.test(l)) ?? why.pop() }] };
    }
    const now = await serving(stack).catch(() => undefined);
    const summary = summarizePreview(parsed, now?.color);
    if (args.includes("--markdown")) {
        const diff = await pulumi(["preview", "--diff", "--non-interactive"]);
        console.log(renderMarkdown(summary, stack.name, `${diff.stdout}${diff.stderr}`, engineOf(stack)));
    } else {
        console.log(renderText(summary));
        console.log(`engine: ${engineOf(stack)}`);
    }
    return summary.ok ? 0 : 1;
}
