// The plugin, as scripts/plugin.js (package.json's `main`) exports it; library users import the
// package's `exports`, components/index.ts. Pulumi's Node plugin runner calls the function a
// plugin's main module exports, with the engine's address in process.argv, when `pulumi package add`
// or an update of a program in another language starts it.
import { main } from "@pulumi/pulumi/provider";
import { startHosting } from "./hosted";
import { BluegreenProvider } from "./provider";

export = function serve(): Promise<void> {
    startHosting();
    return main(new BluegreenProvider(), process.argv.slice(2));
};
