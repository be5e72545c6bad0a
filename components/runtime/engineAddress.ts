// Finds where the stack's containers run, as the docker CLI would: DOCKER_HOST, else the chosen
// docker context's endpoint. Light on purpose (no SDK): the CLI's status and release paths use it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../core/configError";
import { siteOf, Site } from "../core/site";
import { dockerSync } from "./docker";

/** The docker CLI's current context, when one other than `default` is chosen (env or config). */
function chosenContext(env: NodeJS.ProcessEnv): string | undefined {
    if (env.DOCKER_CONTEXT) {
        return env.DOCKER_CONTEXT;
    }
    try {
        const file = path.join(env.DOCKER_CONFIG || path.join(os.homedir(), ".docker"), "config.json");
        const current = (JSON.parse(fs.readFileSync(file, "utf8")) as { currentContext?: string }).currentContext;
        return current || undefined;
    } catch {
        return undefined; // no client config: the default context
    }
}

/** Where the stack's containers run: DOCKER_HOST, else the docker context's endpoint, else this machine. */
export function findSite(env: NodeJS.ProcessEnv = process.env): Site {
    if (env.DOCKER_HOST) {
        return siteOf(env.DOCKER_HOST);
    }
    const context = chosenContext(env);
    if (context === undefined || context === "default") {
        return siteOf(undefined);
    }
    const result = dockerSync(["context", "inspect", "--format", "{{.Endpoints.docker.Host}}"], {
        env: env as Record<string, string>,
    });
    if (result.code !== 0) {
        throw new ConfigError(`the docker context ${context} cannot be read: ${(result.stderr || "").trim()}`);
    }
    return siteOf(result.stdout.trim());
}
