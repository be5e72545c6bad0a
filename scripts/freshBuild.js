// Keeps bin/ in step with the program's TypeScript sources without a full build: a source edited
// since `npm run build` is transpiled on its own (TypeScript's transpileModule: no type check, which
// `make test` and lint do). Used by scripts/program.js, Pulumi's entry point.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const OUT_DIR = path.join(ROOT, "bin");
/** What the program is made of: the entry point and the components it imports. */
const PROGRAM_SOURCES = ["index.ts", "components"];

/** Every .ts file under `roots` (the program's by default), relative to the repo root. */
function programSources(root, roots = PROGRAM_SOURCES) {
    const found = [];
    const walk = (rel) => {
        const full = path.join(root, rel);
        if (fs.statSync(full).isDirectory()) {
            for (const entry of fs.readdirSync(full).sort()) {
                walk(path.join(rel, entry));
            }
        } else if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) {
            found.push(rel);
        }
    };
    for (const rel of roots) {
        walk(rel);
    }
    return found;
}

function compiledPath(outDir, rel) {
    return path.join(outDir, rel.replace(/\.ts$/, ".js"));
}

/** Sources with no compiled file, or edited after it was written. */
function staleSources(root, outDir, roots) {
    return programSources(root, roots).filter((rel) => {
        const out = compiledPath(outDir, rel);
        try {
            return fs.statSync(path.join(root, rel)).mtimeMs > fs.statSync(out).mtimeMs;
        } catch {
            return true;
        }
    });
}

/** The compiler options of tsconfig.json, as TypeScript's API wants them. */
function compilerOptions(ts, root) {
    const file = path.join(root, "tsconfig.json");
    const read = ts.readConfigFile(file, ts.sys.readFile);
    if (read.error) {
        throw new Error(`cannot read ${file}: ${ts.flattenDiagnosticMessageText(read.error.messageText, " ")}`);
    }
    return ts.parseJsonConfigFileContent(read.config, ts.sys, root).options;
}

/** Transpiles each source into outDir, as tsc would emit it (each file written atomically). */
function transpile(root, outDir, sources) {
    let ts;
    try {
        ts = require("typescript");
    } catch {
        throw new Error(
            `${sources[0]} changed since the last build and the typescript package is missing; ` +
                `run npm ci (or npm run build) first`,
        );
    }
    const options = { ...compilerOptions(ts, root), sourceMap: false, inlineSourceMap: false, declaration: false };
    for (const rel of sources) {
        const source = fs.readFileSync(path.join(root, rel), "utf8");
        const result = ts.transpileModule(source, {
            compilerOptions: options,
            fileName: path.join(root, rel),
            reportDiagnostics: true,
        });
        const errors = (result.diagnostics || []).filter((d) => d.category === ts.DiagnosticCategory.Error);
        if (errors.length > 0) {
            const d = errors[0];
            const where = d.file ? `:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : "";
            throw new Error(`${rel}${where}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
        }
        const out = compiledPath(outDir, rel);
        fs.mkdirSync(path.dirname(out), { recursive: true });
        const partial = `${out}.${process.pid}.partial`;
        fs.writeFileSync(partial, result.outputText);
        fs.renameSync(partial, out);
    }
}

/**
 * Compiled files under `roots` whose source is gone (a module moved, e.g. nginx.ts to nginx/index.ts):
 * left in bin/, `require("./nginx")` would load the old nginx.js before nginx/index.js.
 */
function orphanedOutputs(root, outDir, roots) {
    const found = [];
    const walk = (rel) => {
        const full = path.join(outDir, rel);
        let entries;
        try {
            entries = fs.readdirSync(full, { withFileTypes: true });
        } catch {
            return;
        }
        for (const entry of entries) {
            const child = path.join(rel, entry.name);
            if (entry.isDirectory()) {
                walk(child);
            } else if (/\.js$/.test(entry.name) && !fs.existsSync(path.join(root, child.replace(/\.js$/, ".ts")))) {
                found.push(child);
            }
        }
    };
    for (const rel of roots) {
        if (rel.endsWith(".ts")) {
            continue; // a file root (index.ts) has no orphans of its own
        }
        walk(rel);
    }
    return found;
}

/** Brings bin/ up to date with the working tree; returns the sources it transpiled. */
function refresh(root = ROOT, outDir = OUT_DIR, roots = PROGRAM_SOURCES) {
    for (const rel of orphanedOutputs(root, outDir, roots)) {
        for (const suffix of ["", ".map"]) {
            fs.rmSync(path.join(outDir, rel + suffix), { force: true });
        }
        fs.rmSync(path.join(outDir, rel.replace(/\.js$/, ".d.ts")), { force: true });
    }
    const stale = staleSources(root, outDir, roots);
    if (stale.length > 0) {
        transpile(root, outDir, stale);
    }
    return stale;
}

module.exports = { programSources, staleSources, orphanedOutputs, transpile, refresh, ROOT, OUT_DIR };
