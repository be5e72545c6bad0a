// What the helpers need from Pulumi's own files, read directly: each `pulumi` start costs about
// 0.25 s, and a release should pay for one `pulumi up` only. Each reader says when it cannot tell,
// and the caller then asks the CLI.
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The project's name, from Pulumi.yaml in `projectDir`. */
export function projectName(projectDir: string): string {
    const YAML = require("yaml") as typeof import("yaml");
    const project = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { name?: unknown };
    if (typeof project?.name !== "string") {
        throw new Error(`${path.join(projectDir, "Pulumi.yaml")} has no project name`);
    }
    return project.name;
}

/**
 * The selected stack (what `pulumi stack select` saved for `backendUrl`), or undefined when none is
 * saved. The CLI keeps it in `$PULUMI_HOME/workspaces/<project>-<sha1 of Pulumi.yaml's path>-workspace.json`,
 * as `stacks: {<backend URL>: "<org>/<project>/<stack>"}` (CLI 3.276; older ones wrote `stack`).
 */
export function selectedStack(
    projectDir: string,
    pulumiHome?: string,
    backendUrl = process.env.PULUMI_BACKEND_URL ?? "",
): string | undefined {
    const home = pulumiHome || path.join(os.homedir(), ".pulumi");
    const projectFile = path.join(path.resolve(projectDir), "Pulumi.yaml");
    const hash = createHash("sha1").update(projectFile).digest("hex");
    const file = path.join(home, "workspaces", `${projectName(projectDir)}-${hash}-workspace.json`);
    let settings: { stack?: unknown; stacks?: Record<string, unknown> };
    try {
        settings = JSON.parse(fs.readFileSync(file, "utf8")) as typeof settings;
    } catch {
        return undefined;
    }
    const stack = settings.stacks?.[backendUrl] ?? settings.stack;
    return typeof stack === "string" && stack !== "" ? stack.split("/").pop() : undefined;
}

/**
 * The plain (not secret) values of the project's own keys in `Pulumi.<stack>.yaml`, without the
 * `<project>:` prefix; undefined when the file does not exist. Defaults come from the caller.
 */
export function stackConfig(projectDir: string, stack: string): Record<string, string> | undefined {
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        return undefined;
    }
    const YAML = require("yaml") as typeof import("yaml");
    const parsed = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    const prefix = `${projectName(projectDir)}:`;
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed?.config ?? {})) {
        if (key.startsWith(prefix) && ["string", "number", "boolean"].includes(typeof value)) {
            values[key.slice(prefix.length)] = String(value);
        } else if (key.startsWith(prefix) && isPlainObject(value)) {
            // A structured value (`apps`) as Pulumi's config gives it: its JSON text.
            values[key.slice(prefix.length)] = JSON.stringify(value);
        }
    }
    return values;
}

/** An object value that is not a secret (`{secure: ...}`). */
function isPlainObject(value: unknown): boolean {
    return typeof value === "object" && value !== null && !Array.isArray(value) && !("secure" in value);
}

/**
 * Sets the project's keys in `Pulumi.<stack>.yaml` in place, comments kept, as `pulumi config set`
 * (with `app`: `--path apps.<app>.<key>`) would, without starting the CLI. Returns the file's text
 * before, to put back; undefined when the stack has no such file (the caller asks the CLI then).
 */
export function setStackConfig(
    projectDir: string,
    stack: string,
    values: Record<string, string>,
    app?: string,
): string | undefined {
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        return undefined;
    }
    const YAML = require("yaml") as typeof import("yaml");
    const before = fs.readFileSync(file, "utf8");
    const doc = YAML.parseDocument(before);
    const prefix = `${projectName(projectDir)}:`;
    for (const [key, value] of Object.entries(values)) {
        doc.setIn(app === undefined ? ["config", `${prefix}${key}`] : ["config", `${prefix}apps`, app, key], value);
    }
    writeWhole(file, doc.toString());
    return before;
}

/** Puts back the text setStackConfig returned. */
export function putBackStackConfig(projectDir: string, stack: string, text: string): void {
    writeWhole(path.join(projectDir, `Pulumi.${stack}.yaml`), text);
}

/** Replaces `file`'s content whole or not at all. */
function writeWhole(file: string, text: string): void {
    const next = `${file}.${process.pid}.next`;
    fs.writeFileSync(next, text);
    fs.renameSync(next, file);
}
