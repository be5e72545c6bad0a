// Whether this process is bluegreen's plugin building components for another language's program
// (`pulumi package add`), not a TypeScript program. Two things differ there: each component is
// built in an engine call of its own, so the Apps of a Proxy arrive one by one (components/
// proxyApps.ts), and the program's directory has no node_modules, where the Node dynamic provider
// plugin looks for its SDK (pulumi/pulumi#5455), so the plugin serves the providers' resources itself
// (components/providers/dynamicResource.ts).
let hosted = false;

/** Called once by the plugin's entry (./main.ts) before it builds anything. */
export function startHosting(): void {
    hosted = true;
}

export function hostedByPlugin(): boolean {
    return hosted;
}
