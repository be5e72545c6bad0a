// An App built by the component provider names its Proxy by URN (`ProxyRef`): another language holds
// a reference, not the TypeScript object. Both are built in this one plugin process during an update,
// the Proxy first (the App's input depends on its URN), so the Proxy is found by that URN here.
import * as pulumi from "../sdk";
import { componentSubject } from "../core/subject";
import { Proxy } from "../proxy";

const BY_URN = new Map<string, Proxy>();

/** The value of an Output that is known, as a URN always is, even at preview. */
function settled<T>(value: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(value).apply((v) => resolve(v as T)));
}

/** Keeps the Proxy under its URN for the Apps that name it. */
export async function rememberProxy(proxy: Proxy): Promise<void> {
    BY_URN.set(await settled(proxy.urn), proxy);
}

/** The Proxy an App's `proxy` input names (`{ urn }`), or a one-line error naming the input. */
export async function proxyOfRef(app: string, ref: unknown): Promise<Proxy> {
    if (ref instanceof Proxy) {
        return ref;
    }
    const urn = ref === undefined ? undefined : (await settled(ref as pulumi.Input<{ urn?: unknown }>))?.urn;
    const proxy = typeof urn === "string" ? BY_URN.get(urn) : undefined;
    if (proxy === undefined) {
        throw new pulumi.RunError(
            `${componentSubject("App", app).name("proxy")} must be { urn: <a bluegreen Proxy's urn> } of this ` +
                `program (got ${typeof urn === "string" ? urn : JSON.stringify(ref ?? null)})`,
        );
    }
    return proxy;
}
