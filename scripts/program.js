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
// The SDK takes a stack trace of every promise it makes (debuggablePromise), and source-map-support,
// which the Node language host registers, maps each frame through the SDK's source maps: 1.3-1.7 s
// of CPU in an update of 20 apps (226 resources), measured with --cpu-prof. The program's own
// errors are one-line RunErrors; a stack trace still names the compiled file and line in bin/.
Error.prepareStackTrace = undefined;
module.exports = require(path.join(OUT_DIR, "index.js"));
