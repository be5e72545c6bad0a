// What both benches share: options from the environment, a timestamped log, the machine's
// description, and writing a result as JSON and as a markdown table under bench/results/.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineName, ENGINE_NAMES } from "../components/core/engineRules";

const RESULTS = path.resolve(__dirname, "../../bench/results");

/** A number from the environment, or the default. */
export function envNumber(name: string, fallback: number): number {
    return Number(process.env[name] ?? fallback);
}

/** The engines a bench compares: BENCH_ENGINES (space-separated), by default both. */
export function benchEngines(): EngineName[] {
    const names = (process.env.BENCH_ENGINES ?? "docker-provider docker-cli").split(/\s+/).filter((n) => n !== "");
    for (const name of names) {
        if (!(ENGINE_NAMES as readonly string[]).includes(name)) {
            throw new Error(`BENCH_ENGINES: ${name} is not one of ${ENGINE_NAMES.join(", ")}`);
        }
    }
    return names as EngineName[];
}

export function benchLog(line: string): void {
    console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
}

export function machine(): string {
    return `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0]?.model ?? "?"}`;
}

/** Writes bench/results/<name>.json and <name>.md and prints the table. */
export function writeResults(name: string, result: unknown, table: string): void {
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(path.join(RESULTS, `${name}.json`), JSON.stringify(result, null, 2) + "\n");
    fs.writeFileSync(path.join(RESULTS, `${name}.md`), table + "\n");
    console.log("\n" + table);
}
