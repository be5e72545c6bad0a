// `make bench`, other languages: the same release (a new image on api's idle colour and the flip)
// from the TypeScript example (the package installed from its tarball), the YAML example and the
// Python example (the package added with `pulumi package add`), in interleaved rounds, beside a
// no-change `pulumi up` of each (what the component plugin's start costs) and an empty program's
// `pulumi up`, measured in the same rounds. Writes bench/results/languages.{md,json}.
import * as fs from "fs";
import { addPackageTo, Consumer, installExample, languageExampleConfig } from "../test/support/consumer";
import { benchLog, envNumber, machine, writeResults } from "./report";
import { emptyProgram, median, timed } from "./speed";

interface Program {
    readonly language: "typescript" | "yaml" | "python";
    readonly consumer: Consumer;
    /** The config keys of the released app's colour and images. */
    readonly keys: { live: string; blue: string; green: string };
}

export interface LanguageRow {
    readonly language: string;
    readonly releaseSeconds: number[];
    readonly noChangeSeconds: number[];
}

export interface LanguagesResult {
    readonly machine: string;
    readonly date: string;
    readonly rounds: number;
    readonly emptySeconds: number[];
    readonly rows: LanguageRow[];
}

const PORT = Number(process.env.BENCH_LANGUAGES_PORT ?? 19850);

function programs(): Program[] {
    const stack = (language: string) => `bench${language}${process.pid}`;
    const ts = installExample("typescript", stack("ts"));
    ts.setConfig({
        liveColor: "blue",
        blueImage: "bluegreen-sample:1",
        greenImage: "bluegreen-sample:1",
        publicPort: String(PORT),
        proxyImage: "bluegreen-nginx:local",
    });
    const yaml = addPackageTo("yaml", stack("yaml"));
    yaml.setConfig(languageExampleConfig("yaml", PORT + 10));
    const python = addPackageTo("python", stack("python"));
    python.setConfig(languageExampleConfig("python", PORT + 20));
    const api = { live: "apiLiveColor", blue: "apiBlueImage", green: "apiGreenImage" };
    return [
        { language: "typescript", consumer: ts, keys: { live: "liveColor", blue: "blueImage", green: "greenImage" } },
        { language: "yaml", consumer: yaml, keys: api },
        { language: "python", consumer: python, keys: api },
    ];
}

async function main(): Promise<void> {
    const rounds = envNumber("BENCH_LANGUAGES_ROUNDS", 5);
    benchLog("installing the TypeScript example and adding the package to the YAML and Python examples");
    const all = programs();
    const empty = emptyProgram(all[0].consumer);
    const up = (p: Program) =>
        timed(
            "pulumi",
            ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", p.consumer.stack],
            p.consumer.dir,
            p.consumer.env,
        );
    const rows: LanguageRow[] = all.map((p) => ({ language: p.language, releaseSeconds: [], noChangeSeconds: [] }));
    const emptySeconds: number[] = [];
    try {
        for (const p of all) {
            benchLog(`${p.language}: first deploy ${up(p).toFixed(1)} s`);
        }
        for (let round = 1; round <= rounds; round++) {
            // Blue serves in odd rounds: green gets the next image and traffic; even rounds the reverse.
            const to = round % 2 === 1 ? "green" : "blue";
            const image = `bluegreen-sample:${(round % 2) + 1}`;
            emptySeconds.push(
                timed("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], empty.dir, empty.env),
            );
            for (const [i, p] of all.entries()) {
                p.consumer.setConfig({ [to === "green" ? p.keys.green : p.keys.blue]: image, [p.keys.live]: to });
                rows[i].releaseSeconds.push(up(p));
                rows[i].noChangeSeconds.push(up(p));
            }
            benchLog(
                `round ${round}: empty ${emptySeconds.at(-1)!.toFixed(2)} s; ` +
                    rows.map((r) => `${r.language} release ${r.releaseSeconds.at(-1)!.toFixed(2)} s`).join(", "),
            );
        }
    } finally {
        for (const p of all) {
            p.consumer.attempt("pulumi", ["destroy", "--yes", "--non-interactive", "--stack", p.consumer.stack]);
            p.consumer.remove();
        }
        fs.rmSync(empty.dir, { recursive: true, force: true });
    }
    const result: LanguagesResult = { machine: machine(), date: new Date().toISOString(), rounds, emptySeconds, rows };
    writeResults("languages", result, languagesTable(result));
}

export function languagesTable(result: LanguagesResult): string {
    const ts = median(result.rows[0].releaseSeconds);
    const empty = median(result.emptySeconds);
    const lines = [
        `Release from other languages: medians of ${result.rounds} rounds (${result.machine}, ${result.date.slice(0, 10)}); ` +
            `an empty program's \`pulumi up\` ${empty.toFixed(2)} s in the same rounds`,
        "",
        "| program | release (s) | vs TypeScript | no-change up (s) | release / empty up |",
        "| --- | ---: | ---: | ---: | ---: |",
    ];
    for (const row of result.rows) {
        const release = median(row.releaseSeconds);
        const delta = release - ts;
        lines.push(
            `| ${row.language} | ${release.toFixed(2)} | ${row === result.rows[0] ? "" : `${delta >= 0 ? "+" : ""}${delta.toFixed(2)} s`} | ` +
                `${median(row.noChangeSeconds).toFixed(2)} | ${(release / empty).toFixed(2)}x |`,
        );
    }
    return lines.join("\n");
}

main().catch((err: Error) => {
    console.error(`bench failed: ${err.message}`);
    process.exit(1);
});
