// Docker image references: which registry one names, and which of an image's digests is its own.
// Pure: the image provider (pulls) and the status helper (what runs) both use it.

/** The registry host a reference names explicitly (`host[:port]/…`), or undefined (Docker Hub or local). */
export function registryHost(ref: string): string | undefined {
    const slash = ref.indexOf("/");
    if (slash < 0) {
        return undefined;
    }
    const first = ref.slice(0, slash);
    return /[.:]/.test(first) || first === "localhost" ? first : undefined;
}

/**
 * The registry digest of `ref`'s repository among an image's RepoDigests (`docker image inspect`),
 * or "" when that repository has none: a digest under another name (say, a registry the image was
 * once pushed to) says nothing about where `ref` came from.
 */
export function repoDigestOf(ref: string, repoDigests: unknown): string {
    const repo = ref.replace(/@sha256:[0-9a-f]+$/, "").replace(/:[^/:]*$/, "");
    const all = (Array.isArray(repoDigests) ? repoDigests : []) as string[];
    return all.find((d) => d.startsWith(`${repo}@`)) ?? "";
}
