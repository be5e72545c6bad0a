// Whether a passphrase opens a stack's secrets, checked as the Pulumi CLI checks it: the stack
// file's `encryptionsalt` (v1:<salt>:v1:<nonce>:<ciphertext>) holds "pulumi" sealed with AES-256-GCM
// under a key derived from the passphrase (PBKDF2-SHA256, 1,000,000 rounds). About half a second of
// CPU, so only a failed update pays it, to say in one line what the CLI words vaguely.
import { createDecipheriv, pbkdf2Sync } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** Whether `passphrase` opens secrets sealed under `encryptionSalt`; undefined when the salt is not Pulumi's v1. */
export function opensSecrets(passphrase: string, encryptionSalt: string): boolean | undefined {
    const [version, salt, sealedVersion, nonce, sealed] = encryptionSalt.split(":");
    if (version !== "v1" || sealedVersion !== "v1" || !salt || !nonce || !sealed) {
        return undefined;
    }
    const key = pbkdf2Sync(passphrase, Buffer.from(salt, "base64"), 1000000, 32, "sha256");
    const bytes = Buffer.from(sealed, "base64");
    try {
        // Go's GCM appends the 16-byte tag to the ciphertext.
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
        decipher.setAuthTag(bytes.subarray(bytes.length - 16));
        const plain = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]);
        return plain.toString("utf8") === "pulumi";
    } catch {
        return false;
    }
}

/**
 * The one line for an update whose passphrase does not open the stack's secrets, naming the
 * setting; undefined when it does, or when the stack has no passphrase-sealed secrets here.
 */
export function wrongPassphrase(projectDir: string, stack: string, env = process.env): string | undefined {
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    const salt = fs.existsSync(file)
        ? /^encryptionsalt:\s*(\S+)\s*$/m.exec(fs.readFileSync(file, "utf8"))?.[1]
        : undefined;
    if (salt === undefined) {
        return undefined;
    }
    const fromFile = env.PULUMI_CONFIG_PASSPHRASE_FILE;
    let passphrase = env.PULUMI_CONFIG_PASSPHRASE;
    if (passphrase === undefined && fromFile) {
        try {
            passphrase = fs.readFileSync(fromFile, "utf8").replace(/\r?\n$/, "");
        } catch {
            return `PULUMI_CONFIG_PASSPHRASE_FILE=${fromFile} cannot be read; set it (or PULUMI_CONFIG_PASSPHRASE) to the stack's passphrase`;
        }
    }
    const setting =
        env.PULUMI_CONFIG_PASSPHRASE !== undefined ? "PULUMI_CONFIG_PASSPHRASE" : "PULUMI_CONFIG_PASSPHRASE_FILE";
    if (passphrase === undefined) {
        return `the stack ${stack} keeps secrets: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to its passphrase; nothing changed`;
    }
    return opensSecrets(passphrase, salt) === false
        ? `${setting} is not the passphrase of the stack ${stack} (it does not open Pulumi.${stack}.yaml's secrets); ` +
              `set it to the one your team uses for this stack; nothing changed`
        : undefined;
}
