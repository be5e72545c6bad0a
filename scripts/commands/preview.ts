// `npm run preview [-- --markdown]`: what `pulumi up` would do to traffic, in one line (or as the
// pull request comment, with the whole diff). A config that does not parse is a preview's finding
// too: pulumi's own preview reports it, in the line and in the comment.
import { ConfigError } from "../../components/core/configError";
import { PreviewJson, renderMarkdown, renderText, summarizePreview } from "../previewSummary";
import { engineOf } from "./engineOf";
import { currentStack, pulumi, serving, stackName } from "./stack";

export async function preview(args: string[]): Promise<number> {
    const stack = await currentStack().catch((err: Error) => {
        if (err instanceof ConfigError) {
            return undefined;
        }
        throw err;
    });
    const name = stack?.name ?? (await stackName());
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
    const now = stack === undefined ? undefined : await serving(stack).catch(() => undefined);
    const summary = summarizePreview(parsed, now?.color);
    const engine = engineOf(name, stack?.settings.engine);
    if (args.includes("--markdown")) {
        const diff = await pulumi(["preview", "--diff", "--non-interactive"]);
        console.log(renderMarkdown(summary, name, `${diff.stdout}${diff.stderr}`, engine));
    } else {
        console.log(renderText(summary));
        console.log(`engine: ${engine}`);
    }
    return summary.ok ? 0 : 1;
}
