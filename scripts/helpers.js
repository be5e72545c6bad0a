// Entry point of the `npm run release|rollback|status|recover|preview|maintenance` helpers (scripts/run.sh):
// brings bin/ in step with the working tree's sources (scripts/freshBuild.js), then runs the helper.
"use strict";
const path = require("path");
const { refresh, OUT_DIR } = require("./freshBuild");

refresh(undefined, undefined, ["index.ts", "components", "scripts"]);
require(path.join(OUT_DIR, "scripts", "cli.js"));
