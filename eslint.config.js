// Lint rules for the TypeScript sources (compiled output in bin/ is ignored).
const tseslint = require("typescript-eslint");

// The pure core (components/core/) imports neither the Pulumi SDK nor anything that does I/O, nor any
// module outside the core: its rules are plain functions with plain tests (test/unit/layout.test.ts).
const IO_MODULES = ["child_process", "fs", "fs/promises", "net", "http", "https", "http2", "tls", "dgram", "dns", "os"];
const pureCore = (outside) => ({
    "no-restricted-imports": [
        "error",
        {
            paths: [...IO_MODULES, ...IO_MODULES.map((m) => `node:${m}`), "axios", "yaml"].map((name) => ({
                name,
                message: "components/core/ is pure: I/O belongs in components/runtime/ or a provider.",
            })),
            patterns: [
                {
                    group: ["@pulumi/*"],
                    message: "components/core/ is pure: no Pulumi SDK (components wire resources).",
                },
                { group: [outside], message: "components/core/ imports only from the core." },
            ],
        },
    ],
    "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.name='require']", message: "components/core/ is pure: no require()." },
        { selector: "ImportExpression", message: "components/core/ is pure: no dynamic import()." },
    ],
});

module.exports = tseslint.config(
    { ignores: ["bin/", "node_modules/", "bench/results/", "examples/*/node_modules/", "examples/*/bin/"] },
    ...tseslint.configs.recommended,
    {
        rules: {
            // Dynamic providers require() heavy modules inside methods on purpose (closure serialization).
            "@typescript-eslint/no-require-imports": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
        },
    },
    { files: ["components/core/*.ts"], rules: pureCore("../*") },
    { files: ["components/core/*/**/*.ts"], rules: pureCore("../../*") },
);
