import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { opensSecrets, wrongPassphrase } from "../../scripts/passphrase";

// Pulumi.dev.yaml's salt, written by the Pulumi CLI for the passphrase scripts/env.sh sets.
const DEV_SALT = /^encryptionsalt:\s*(\S+)/m.exec(
    fs.readFileSync(path.resolve(__dirname, "../../../Pulumi.dev.yaml"), "utf8"),
)![1];

describe("a stack's passphrase, checked as the Pulumi CLI checks it", () => {
    it("opens the secrets the CLI sealed with it, and only with it", () => {
        assert.strictEqual(opensSecrets("bluegreen-local", DEV_SALT), true);
        assert.strictEqual(opensSecrets("bluegreen-locaL", DEV_SALT), false);
        assert.strictEqual(opensSecrets("x", "v2:abc"), undefined, "not Pulumi's v1: cannot tell");
    });

    it("names the setting to fix in one line, and says nothing when the passphrase is right", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-passphrase-"));
        try {
            fs.writeFileSync(path.join(dir, "Pulumi.team.yaml"), `encryptionsalt: ${DEV_SALT}\nconfig: {}\n`);
            assert.strictEqual(
                wrongPassphrase(dir, "team", { PULUMI_CONFIG_PASSPHRASE: "bluegreen-local" }),
                undefined,
            );
            assert.strictEqual(
                wrongPassphrase(dir, "team", { PULUMI_CONFIG_PASSPHRASE: "guess" }),
                "PULUMI_CONFIG_PASSPHRASE is not the passphrase of the stack team (it does not open Pulumi.team.yaml's " +
                    "secrets); set it to the one your team uses for this stack; nothing changed",
            );
            fs.writeFileSync(path.join(dir, "phrase"), "guess\n");
            assert.match(
                wrongPassphrase(dir, "team", { PULUMI_CONFIG_PASSPHRASE_FILE: path.join(dir, "phrase") })!,
                /^PULUMI_CONFIG_PASSPHRASE_FILE is not the passphrase of the stack team/,
            );
            assert.match(
                wrongPassphrase(dir, "team", {})!,
                /^the stack team keeps secrets: set PULUMI_CONFIG_PASSPHRASE/,
            );
            assert.strictEqual(wrongPassphrase(dir, "other", {}), undefined, "no stack file: nothing to check");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
