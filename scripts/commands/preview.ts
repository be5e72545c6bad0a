// `npm run preview [-- --markdown]`: what `pulumi up` would do to traffic, in one line (or as the
// pull request comment, with the whole diff). A config that does not parse is a preview's finding
// too: pulumi's own preview reports it, in the line and in the comment.
import { ConfigError } from "../../components/core/configError";
import { PreviewJson, renderMarkdown, renderText, summarizePreview } from "../previewSummary";
import { engineOf } from "./engineOf";
import type { Color } from "../../components/core/color";
import { currentStack, pulumi, serving, Stack, stackName } from "./stack";

/** The stack's Apps by name, as the program names them: its own `<stack>`, then `<stack>-<app>` for each of `apps`. */
function appNames(stack: Stack): string[] {
    return [...(stack.app === undefined ? [stack.name] : []), ...stack.apps.map((a) => `${stack.name}-${a}`)];
}

/** What nginx serves each App of the stack (by the App's name: `<stack>`, `<stack>-<app>`), where it answers. */
async function servingByApp(stack: Stack): Promise<Record<string, Color>> {
    const apps = [
        ...(stack.app === undefined ? [stack] : []),
        ...(await Promise.all(stack.apps.map((a) => currentStack(a)))),
    ];
    const colors: Record<string, Color> = {};
    for (const app of apps) {
        const now = await serving(app).catch(() => undefined);
        if (now !== undefined) colors[app.app === undefined ? app.name : `${app.name}-${app.app}`] = now.color;
    }
    return colors;
}

export async function preview(args: string[]): Promise<number> {
    const stack = await currentStack(undefined, { anyApp: true }).catch((err: Error) => {
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
    const apps = stack === undefined ? [] : appNames(stack);
    const summary = summarizePreview(parsed, stack === undefined ? undefined : await servingByApp(stack), {
        name,
        apps,
    });
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
