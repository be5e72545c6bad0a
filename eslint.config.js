// Lint rules for the TypeScript sources (compiled output in bin/ is ignored).
const tseslint = require("typescript-eslint");

module.exports = tseslint.config(
    { ignores: ["bin/", "node_modules/", "bench/results/"] },
    ...tseslint.configs.recommended,
    {
        rules: {
            // Dynamic providers require() heavy modules inside methods on purpose (closure serialization).
            "@typescript-eslint/no-require-imports": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
);
