// One location that proxies to an upstream, with the settings that keep swaps lossless.

/**
 * `location <match>` proxying to `upstream` (a group, or a variable naming one); `match` is a fixed
 * prefix or `= <path>` from validated config; `extra` adds directives of the caller's; `uri`, when
 * set, replaces the matched part of the path (a path prefix taken off).
 */
export function proxyPass(
    match: string,
    upstream: string,
    color: string,
    connectTimeout: string,
    extra = "",
    uri = "",
): string {
    return `        location ${match} {
            proxy_pass http://${upstream}${uri};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Retry another attempt only for errors before a response started, and never for
            # POST and other non-idempotent methods (no 'non_idempotent'): a replay could run twice.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout ${connectTimeout};
            proxy_read_timeout 300s;
            client_max_body_size 64m;
            add_header X-Color ${color} always;
${extra}        }
`;
}
