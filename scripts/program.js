// Pulumi's entry point (Pulumi.yaml `main`): runs the program exactly as it is in the working tree.
// The program is compiled into bin/ by `npm run build`; a source edited since then is transpiled
// first, so a plain `pulumi up` never deploys stale code. When nothing changed this costs a few
// stat calls.
"use strict";
const path = require("path");
const { refresh, OUT_DIR } = require("./freshBuild");

let stale;
try {
    stale = refresh();
} catch (err) {
    // One line, no stack trace: nothing has been touched yet.
    const { RunError } = require("@pulumi/pulumi");
    throw new RunError(`bluegreen: cannot run the program as edited: ${err.message}`);
}
if (stale.length > 0) {
    const shown = stale.length > 3 ? `${stale.slice(0, 3).join(", ")} and ${stale.length - 3} more` : stale.join(", ");
    console.log(`bluegreen: ${shown} changed since the last build; transpiled into bin/ (npm run build type-checks)`);
}
module.exports = require(path.join(OUT_DIR, "index.js"));
