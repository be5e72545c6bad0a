// Preloaded (node -r) into the Node dynamic provider plugin by our copy of it
// (scripts/pulumi-resource-pulumi-nodejs). The provider server loads @pulumi/pulumi's runtime index,
// which loads the closure serializer at once, and with it the SDK's whole index: about 110 modules
// and 0.17 s of every plugin start, on the path of every `pulumi up`. A provider never serializes a
// closure (the SDK itself loads that module on demand elsewhere, "as its dependencies are slow to
// load"). So its modules enter require's cache as stand-ins that load the real module on first use.
"use strict";
const fs = require("fs");
const path = require("path");
const Module = require("module");

/** `file` as a stand-in: each of `functions` loads the real module when called; any other name at once. */
function onDemand(file, functions) {
    if (!fs.existsSync(file) || require.cache[file]) {
        return; // another SDK layout, or already loaded: nothing to defer
    }
    let real;
    const load = () => {
        if (real === undefined) {
            delete require.cache[file];
            real = require(file);
        }
        return real;
    };
    const wrappers = Object.fromEntries(functions.map((name) => [name, (...args) => load()[name](...args)]));
    const standIn = new Module(file);
    standIn.filename = file;
    standIn.loaded = true;
    standIn.exports = new Proxy({}, { get: (_, name) => (name in wrappers ? wrappers[name] : load()[name]) });
    require.cache[file] = standIn;
}

// process.argv[1] is the SDK's cmd/dynamic-provider/index.js.
const sdk = path.resolve(path.dirname(process.argv[1] || ""), "../..");
onDemand(path.join(sdk, "runtime/closure/serializeClosure.js"), ["serializeFunction", "serializeFunctionAsync"]);
onDemand(path.join(sdk, "runtime/closure/codePaths.js"), ["computeCodePaths"]);
