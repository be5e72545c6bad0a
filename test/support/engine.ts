// The engine the end-to-end suites run on: BLUEGREEN_ENGINE, set per run by scripts/test.sh (which
// runs every suite once on each engine). Unset, the suites run on docker-provider, what `auto`
// gives a new stack where the plugins are installed.
import { EngineName, ENGINE_NAMES } from "../../components/core/engineRules";

function engineUnderTest(value = process.env.BLUEGREEN_ENGINE ?? "docker-provider"): EngineName {
    const engine = ENGINE_NAMES.find((name) => name === value);
    if (engine === undefined) {
        throw new Error(`BLUEGREEN_ENGINE must be one of ${ENGINE_NAMES.join(", ")} (got ${JSON.stringify(value)})`);
    }
    return engine;
}

export const TEST_ENGINE: EngineName = engineUnderTest();

/** The type token of a colour's container on the engine under test, as `pulumi preview --diff` prints it. */
export const CONTAINER_TYPE =
    TEST_ENGINE === "docker-provider" ? "docker:index/container:Container" : "pulumi-nodejs:dynamic:Resource";

/** Matches the `--diff` lines that replace the container named `name` (URN suffix). */
export function replacesContainer(name: string): RegExp {
    const type = CONTAINER_TYPE.replace(/[/.]/g, "\\$&");
    return new RegExp(`\\+-${type}: \\(replace\\)\\n.*\\n.*${name}\\]`);
}

/**
 * Matches the one line that reports a failed pull of `ref` from `host` for `why` (a regex source):
 * docker-cli's own line, or the docker provider's (README, "Engines and images").
 */
export function pullFailure(ref: string, host: string, why: string): RegExp {
    const escape = (text: string) => text.replace(/[.:/]/g, "\\$&");
    return TEST_ENGINE === "docker-provider"
        ? new RegExp(`unable to pull image ${escape(ref)}: .*${why}`, "i")
        : new RegExp(`image ${escape(ref)} could not be pulled from ${escape(host)}: .*${why}`, "i");
}
