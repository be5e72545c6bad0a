// Just enough of S3 for a stack's lock objects (list, read, delete) on any S3-compatible server,
// signed with AWS Signature V4 from the same AWS_* variables the Pulumi CLI reads.
import { createHash, createHmac } from "crypto";

export interface S3Location {
    readonly bucket: string;
    /** The key prefix the backend URL's path adds ("" for none, else ending in "/"). */
    readonly prefix: string;
    /** The server's base URL: the `endpoint` parameter, else AWS's regional endpoint. */
    readonly endpoint: string;
    readonly region: string;
}

/** Where an `s3://bucket[/prefix]?endpoint=...&region=...` backend URL keeps its objects. */
export function s3Location(backendUrl: string): S3Location {
    const url = new URL(backendUrl);
    const region =
        url.searchParams.get("region") || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1";
    const given = url.searchParams.get("endpoint");
    const endpoint = given
        ? /^https?:\/\//.test(given)
            ? given
            : `${url.searchParams.get("disableSSL") === "true" ? "http" : "https"}://${given}`
        : `https://s3.${region}.amazonaws.com`;
    const path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
    return {
        bucket: url.hostname,
        prefix: path === "" ? "" : `${path}/`,
        endpoint: endpoint.replace(/\/+$/, ""),
        region,
    };
}

/** RFC 3986 encoding, as Signature V4 wants it (encodeURIComponent leaves !'()* alone). */
function encode(text: string): string {
    return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const sha256 = (data: string) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** One signed, path-style request; throws in one line naming the setting to fix when S3 refuses it. */
async function request(at: S3Location, method: string, key: string | undefined, query: Record<string, string> = {}) {
    const accessKey = process.env.AWS_ACCESS_KEY_ID;
    const secretKey = process.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKey || !secretKey) {
        throw new Error(
            "reading the stack's locks in an s3:// backend needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        );
    }
    const base = new URL(at.endpoint);
    const basePath = base.pathname.replace(/\/+$/, "");
    const path = `${basePath}/${encode(at.bucket)}${key === undefined ? "" : `/${key.split("/").map(encode).join("/")}`}`;
    const queryText = Object.keys(query)
        .sort()
        .map((k) => `${encode(k)}=${encode(query[k])}`)
        .join("&");
    const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, ""); // 20261207T225959Z
    const day = now.slice(0, 8);
    const payload = sha256("");
    const headers: Record<string, string> = { host: base.host, "x-amz-content-sha256": payload, "x-amz-date": now };
    if (process.env.AWS_SESSION_TOKEN) headers["x-amz-security-token"] = process.env.AWS_SESSION_TOKEN;
    const names = Object.keys(headers).sort();
    const canonical = [
        method,
        path,
        queryText,
        ...names.map((n) => `${n}:${headers[n]}`),
        "",
        names.join(";"),
        payload,
    ].join("\n");
    const scope = `${day}/${at.region}/s3/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", now, scope, sha256(canonical)].join("\n");
    const signingKey = ["s3", "aws4_request"].reduce(
        (k, part) => hmac(k, part),
        hmac(hmac(`AWS4${secretKey}`, day), at.region),
    );
    const signature = createHmac("sha256", signingKey).update(toSign).digest("hex");
    const { host: _host, ...sent } = headers;
    const response = await fetch(`${base.protocol}//${base.host}${path}${queryText ? `?${queryText}` : ""}`, {
        method,
        headers: {
            ...sent,
            authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`,
        },
        signal: AbortSignal.timeout(10000),
    });
    const body = await response.text();
    if (!response.ok && !(method === "DELETE" && response.status === 404)) {
        const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? `HTTP ${response.status}`;
        throw new Error(`S3 ${method} ${at.endpoint}/${at.bucket}/${key ?? ""} refused: ${code}`);
    }
    return body;
}

/** The keys under `prefix` (all pages). */
export async function listKeys(at: S3Location, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
        const body = await request(at, "GET", undefined, {
            "list-type": "2",
            prefix,
            ...(token ? { "continuation-token": token } : {}),
        });
        keys.push(...[...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unescapeXml(m[1])));
        token = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(body)?.[1];
        if (!/<IsTruncated>true<\/IsTruncated>/.test(body) || token === undefined) break;
        token = unescapeXml(token);
    }
    return keys;
}

export const readObject = (at: S3Location, key: string): Promise<string> => request(at, "GET", key);

export async function deleteObject(at: S3Location, key: string): Promise<void> {
    await request(at, "DELETE", key);
}

function unescapeXml(text: string): string {
    return text.replace(
        /&(lt|gt|quot|apos|amp);/g,
        (_, e: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[e]!,
    );
}
