// Whose setting a message is about: the stack program's config (`bluegreen:publicPort`) or a
// component's argument (`App "web": publicPort`). Pure.

export interface Subject {
    /** A setting's name as the user wrote it. */
    name(key: string): string;
    /** Settings from stack config: messages then say which `pulumi config` command fixes them. */
    readonly fromConfig: boolean;
    /** What follows `pulumi config set` for a key, when not the key itself (`--path 'apps.api.liveColor'`). */
    configKey?(key: string): string;
}

/** The stack program's config keys (index.ts): `bluegreen:<key>`. */
export function configSubject(rename: Readonly<Record<string, string>> = {}): Subject {
    return { name: (key) => `bluegreen:${rename[key] ?? key}`, fromConfig: true };
}

/** A component's arguments: `App "web": healthPath`. */
export function componentSubject(kind: string, name: string): Subject {
    return { name: (key) => `${kind} ${JSON.stringify(name)}: ${key}`, fromConfig: false };
}

/** Reads one raw setting (a config string, or a component argument as text); undefined when unset. */
export type SettingReader = (key: string) => string | undefined;
