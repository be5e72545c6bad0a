// The component plugin's entry (package.json `main`), which Pulumi's Node plugin runner loads for
// `pulumi package add` and for every update of a program in another language: brings bin/ in step
// with the sources first, as scripts/program.js does for the stack program, so a checkout with no
// build yet (one a git URL fetched) starts too. Then the compiled plugin (components/plugin/main.ts).
"use strict";
const fs = require("fs");
const path = require("path");
const { refresh, ROOT, OUT_DIR } = require("./freshBuild");

// An installed tarball ships bin/ and no TypeScript sources: nothing to bring in step.
if (fs.existsSync(path.join(ROOT, "components", "index.ts"))) {
    try {
        refresh(ROOT, OUT_DIR, ["components"]);
    } catch (err) {
        console.error(`bluegreen: cannot build the plugin from ${ROOT}: ${err.message}`);
        process.exit(1);
    }
}
// As in scripts/program.js: the runner registers source-map-support, which would map the stack
// trace the SDK takes of every promise it makes through its source maps.
Error.prepareStackTrace = undefined;
module.exports = require(path.join(OUT_DIR, "components", "plugin", "main.js"));
