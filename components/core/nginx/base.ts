// The top of every config: processes, events and the http settings all servers share.

export function base(): string {
    return `# Rendered by bluegreen. Do not edit: the next switch overwrites it.
# Two workers are plenty for a proxy; 'auto' would follow the host's cores.
worker_processes 2;
pid /run/nginx.pid;
error_log stderr warn;

# Old workers finish in-flight requests on reload, but long-lived connections (WebSockets,
# slow downloads) would keep them alive forever; 30 s matches kamal-proxy's drain.
worker_shutdown_timeout 30s;

events {
    worker_connections 4096;
}

http {
    access_log off;
    server_tokens off;

    # Clients may keep connections open between requests.
    keepalive_timeout 65s;
    # The lossless reload: an old worker answers a request that arrives on an idle keep-alive
    # connection while it shuts down instead of closing it under the client (nginx >= 1.27.4).
    keepalive_min_timeout 1s;
`;
}
