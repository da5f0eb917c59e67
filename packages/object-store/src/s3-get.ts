/**
 * A lean S3 GET: one signed (SigV4, unsigned payload) HTTP request on a
 * keep-alive agent, for the reads a scan sends by the dozen.
 *
 * Why not the SDK for these: its middleware stack (endpoint rules, retries,
 * checksums, stream mixins) costs about 1.5 ms of CPU per request on the
 * event loop — for a cold query on a table of a dozen Parquet objects, the
 * footers alone cost ~18 ms that the requests in flight could not overlap.
 * Everything else (LIST, HEAD, PUT, credentials resolution) stays with the
 * SDK; the credentials come from the SDK client's own provider chain.
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

/** Credentials as the SDK resolves them. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** Where objects are addressed: the base URL and whether the bucket is in the path. */
export interface S3Address {
  /** `https://s3.eu-west-1.amazonaws.com` or a custom endpoint, no trailing slash. */
  readonly endpoint: URL;
  readonly pathStyle: boolean;
  readonly region: string;
}

/** What a lean GET answers: the HTTP status, its body, and S3's error code when it failed. */
export interface LeanResponse {
  readonly status: number;
  readonly body: Uint8Array;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** RFC 3986 encoding of one path segment, as SigV4 and S3 expect it. */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Signs and sends GET requests to one bucket. */
export class LeanS3Getter {
  readonly #agent: http.Agent;
  readonly #keys = new Map<string, Buffer>();

  constructor(
    readonly address: S3Address,
    readonly bucket: string,
    readonly credentials: () => Promise<SigningCredentials>,
  ) {
    const options = { keepAlive: true, maxSockets: 64 };
    this.#agent = address.endpoint.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
  }

  /** GETs `fullKey` (the bucket-relative key), or bytes [start, end) of it. */
  get(
    fullKey: string,
    range: { start: number; end: number } | undefined,
    signal: AbortSignal | undefined,
  ): Promise<LeanResponse> {
    return this.request(fullKey, {}, range, signal);
  }

  /**
   * A signed GET of `fullKey` (`''`: the bucket itself) with query
   * parameters (`{ 'list-type': '2', prefix }` lists), or of a byte range.
   */
  async request(
    fullKey: string,
    query: Readonly<Record<string, string>>,
    range: { start: number; end: number } | undefined,
    signal: AbortSignal | undefined,
  ): Promise<LeanResponse> {
    const { endpoint, pathStyle, region } = this.address;
    const encodedKey = fullKey.split('/').map(encodeSegment).join('/');
    const host = pathStyle ? endpoint.host : `${this.bucket}.${endpoint.host}`;
    const basePath = endpoint.pathname.replace(/\/+$/, '');
    const path = pathStyle
      ? `${basePath}/${encodeSegment(this.bucket)}/${encodedKey}`
      : `${basePath}/${encodedKey}`;
    const queryString = canonicalQuery(query);
    const credentials = await this.credentials();
    const headers: Record<string, string> = {
      host,
      'x-amz-content-sha256': UNSIGNED_PAYLOAD,
      'x-amz-date': new Date().toISOString().replace(/[:-]|\.\d{3}/g, ''),
    };
    if (range) headers.range = `bytes=${Math.max(0, range.start)}-${range.end - 1}`;
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
    headers.authorization = signGet(
      path,
      headers,
      credentials,
      region,
      (day) => this.#signingKey(credentials.secretAccessKey, day, region),
      queryString,
    );
    const transport = endpoint.protocol === 'https:' ? https : http;
    return new Promise<LeanResponse>((resolve, reject) => {
      const req = transport.request(
        {
          protocol: endpoint.protocol,
          hostname: pathStyle ? endpoint.hostname : `${this.bucket}.${endpoint.hostname}`,
          port: endpoint.port || undefined,
          path: queryString ? `${path}?${queryString}` : path,
          method: 'GET',
          headers,
          agent: this.#agent,
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const length = Number(res.headers['content-length']);
          // One buffer of the announced size: no list of chunks to concatenate afterwards.
          let body = new Uint8Array(Number.isFinite(length) && length >= 0 ? length : 0);
          let chunks: Uint8Array[] | undefined;
          let at = 0;
          res.on('data', (chunk: Buffer) => {
            if (!chunks && at + chunk.byteLength <= body.byteLength) body.set(chunk, at);
            else {
              // More than announced (or nothing announced): collect, and concatenate at the end.
              chunks ??= [body.subarray(0, at)];
              chunks.push(chunk);
            }
            at += chunk.byteLength;
          });
          res.on('error', reject);
          res.on('end', () => {
            if (chunks) {
              const all = new Uint8Array(at);
              let o = 0;
              for (const c of chunks) {
                all.set(c, o);
                o += c.byteLength;
              }
              body = all;
            } else if (at < body.byteLength) body = body.subarray(0, at);
            if (status >= 300) {
              const text = new TextDecoder().decode(body);
              const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
              const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
              resolve({
                status,
                body,
                ...(code !== undefined ? { errorCode: code } : {}),
                ...(message !== undefined ? { errorMessage: message } : {}),
              });
            } else resolve({ status, body });
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** The SigV4 signing key for a day and region, derived once per day. */
  #signingKey(secret: string, day: string, region: string): Buffer {
    const id = `${secret}\n${day}\n${region}`;
    let key = this.#keys.get(id);
    if (!key) {
      key = signingKey(secret, day, region);
      this.#keys.clear();
      this.#keys.set(id, key);
    }
    return key;
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Query parameters as SigV4 canonicalizes them (and as they are sent): encoded, sorted by name. */
export function canonicalQuery(query: Readonly<Record<string, string>>): string {
  return Object.entries(query)
    .map(([k, v]) => [encodeSegment(k), encodeSegment(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** SigV4's signing key: the secret HMAC-chained with the day, region and service. */
export function signingKey(secret: string, day: string, region: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(day).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update('s3').digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/**
 * The `Authorization` header of a SigV4-signed S3 GET, every header given
 * signed; `headers` holds lower-case names,
 * `x-amz-date` and `x-amz-content-sha256` among them.
 */
export function signGet(
  path: string,
  headers: Readonly<Record<string, string>>,
  credentials: SigningCredentials,
  region: string,
  key: (day: string) => Buffer = (day) => signingKey(credentials.secretAccessKey, day, region),
  /** The canonical query string ({@link canonicalQuery}); empty for none. */
  query = '',
): string {
  const amzDate = headers['x-amz-date'] as string;
  const day = amzDate.slice(0, 8);
  const names = Object.keys(headers).sort();
  const signed = names.join(';');
  const lines = names.map((h) => `${h}:${String(headers[h]).trim()}\n`).join('');
  const canonical = `GET\n${path}\n${query}\n${lines}\n${signed}\n${headers['x-amz-content-sha256']}`;
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const signature = createHmac('sha256', key(day)).update(toSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope},SignedHeaders=${signed},Signature=${signature}`;
}
