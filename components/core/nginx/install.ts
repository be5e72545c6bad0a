// The shell text that installs a new nginx config in the proxy's container: validate a candidate,
// install it keeping the previous one, reload, put it back on failure; and how its output and the
// files it carries (config, certificate, key) are read and written. Pure: the proxy switch runs it
// (components/providers/proxySwitch.ts) through whichever transport reaches the container.
import { lastLine } from "../text";
import { filesDirOf } from "./index";
import { MAKE_VERIFY_DIR } from "./verify";
import type { Tls, TlsFiles } from "./tls";

/** Exit code of the install script when `nginx -t` rejects the candidate (nothing was changed). */
export const REJECTED = 3;
/** Exit code of install-and-reload when the reload failed (the previous file was put back). */
export const RELOAD_FAILED = 4;

/** A file the install writes beside the config: its name in `filesDirOf(conf)` and its content. */
export interface BundleFile {
    readonly name: string;
    readonly content: string;
}

/**
 * What the install reads on stdin: one line per file, `<name> <base64>`, the config first as
 * `conf`. Stdin, not the command line, so a key never shows in a process list.
 */
export function bundle(config: string, files: readonly BundleFile[]): string {
    const line = (name: string, content: string) => `${name} ${Buffer.from(content, "utf8").toString("base64")}\n`;
    for (const file of files) {
        if (!/^[0-9a-f]{16}\.(crt|key)$/.test(file.name)) {
            throw new Error(`proxy files must be named <fingerprint>.crt or .key (got ${JSON.stringify(file.name)})`);
        }
    }
    return line("conf", config) + files.map((f) => line(f.name, f.content)).join("");
}

/** Paths and scripts for a config at `conf` (validated: it is spliced into shell text). */
export function confFiles(conf: string) {
    if (!/^\/[A-Za-z0-9._\/-]+$/.test(conf)) {
        throw new Error(`proxy config path must be absolute and plain (got ${JSON.stringify(conf)})`);
    }
    const candidate = `${conf}.next`;
    const backup = `${conf}.previous`;
    const dir = filesDirOf(conf);
    const install = [
        // A config with verification logs there (nginx -t opens the log).
        MAKE_VERIFY_DIR,
        // Keys are readable by root only (nginx's master reads them; its workers need not).
        "umask 077",
        `mkdir -p ${dir}`,
        "while read -r name data; do",
        `  if [ "$name" = conf ]; then out=${candidate}; else out=${dir}/$name; fi`,
        `  printf '%s' "$data" | base64 -d > "$out.part" && mv "$out.part" "$out" || exit 1`,
        "done",
        `if ! nginx -t -q -c ${candidate}; then rm -f ${candidate}; exit ${REJECTED}; fi`,
        `cp ${conf} ${backup}`,
        `mv ${candidate} ${conf}`,
        // Files neither the new config nor the previous one (kept for a restore) reads are old.
        `for f in ${dir}/*; do [ -e "$f" ] || continue; grep -qsF "\${f##*/}" ${conf} ${backup} || rm -f "$f"; done`,
    ].join("\n");
    const reload = `nginx -c ${conf} -s reload`;
    const restore = `mv ${backup} ${conf}`;
    return {
        conf,
        install,
        reload,
        restore,
        restoreAndReload: `${restore} && ${reload}`,
        // On a remote engine each `docker exec` costs a round trip over SSH: validate, install and
        // reload in one, putting the previous file back if the reload fails.
        installAndReload: `${install}\nif ! ${reload}; then ${restore}; exit ${RELOAD_FAILED}; fi`,
    };
}

/** The line of nginx's output that says what is wrong (its [emerg] line when there is one). */
export function nginxComplaint(output: string): string {
    const emerg = output.split("\n").find((line) => line.includes("[emerg]"));
    // Drop nginx's timestamp and pid#tid prefix: "2026/01/02 03:04:05 [emerg] 7#7: unknown ..."
    return (emerg ?? lastLine(output))
        .trim()
        .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, "")
        .replace(/\] \d+#\d+: /, "] ");
}

/** What a config with TLS needs installed beside it: its listener settings, and the PEM chain and key. */
export interface TlsInstall {
    readonly tls?: Tls;
    readonly tlsCertificate?: string;
    readonly tlsKey?: string;
    /** The switching app's own certificate: where it goes, its chain and its key. */
    readonly hostTls?: TlsFiles;
    readonly hostTlsCertificate?: string;
    readonly hostTlsKey?: string;
}

/**
 * The certificate and key files from config that a config with TLS reads: the proxy's (an ACME
 * agent writes its own) and the switching app's own (the other apps' are in place already).
 */
export function tlsBundle(inputs: TlsInstall, conf: string): BundleFile[] {
    const dir = filesDirOf(conf);
    const name = (path: string) => {
        if (!path.startsWith(`${dir}/`)) {
            throw new Error(`proxy switch: TLS files must be in ${dir} (got ${JSON.stringify(path)})`);
        }
        return path.slice(dir.length + 1);
    };
    const pair = (files: TlsFiles, certificate?: string, key?: string) => {
        if (!certificate || !key) {
            throw new Error("proxy switch: TLS is on but the certificate or key did not reach the provider");
        }
        return [
            { name: name(files.certificate), content: certificate },
            { name: name(files.key), content: key },
        ];
    };
    return [
        ...(inputs.tls === undefined || inputs.tls.acmeChallenge !== undefined
            ? []
            : pair(inputs.tls, inputs.tlsCertificate, inputs.tlsKey)),
        ...(inputs.hostTls === undefined ? [] : pair(inputs.hostTls, inputs.hostTlsCertificate, inputs.hostTlsKey)),
    ];
}
