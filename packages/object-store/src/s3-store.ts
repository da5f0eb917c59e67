import { isIP } from 'node:net';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ErrorCode, SpokeError } from '@spoke/core';
import { checkKey, objectNotFound } from './errors.js';
import {
  emptyTransferStats,
  type GetOptions,
  type ObjectMeta,
  type ObjectStore,
  type PutOptions,
  STORAGE_CLASSES,
  type StorageClass,
  type TransferStats,
} from './object-store.js';
import { withRequestSignal } from './request-signal.js';
import { LeanS3Getter } from './s3-get.js';
import { type ListPage, listPage } from './s3-list.js';

/**
 * Connection options for S3 and S3-compatible servers (MinIO, s3rver, R2…).
 * Anything left out comes from the standard AWS environment
 * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
 * `AWS_REGION`, `AWS_ENDPOINT_URL`, profiles).
 */
export interface S3Options {
  /** `http(s)://host:port` of an S3-compatible server; omit for AWS. */
  readonly endpoint?: string;
  /** Default `AWS_REGION`, else `us-east-1`. */
  readonly region?: string;
  /** Address buckets as `endpoint/bucket/key` rather than `bucket.endpoint/key` (most self-hosted servers need this). */
  readonly forcePathStyle?: boolean;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  /** Objects larger than this go up as a multipart upload. Default 16 MiB. */
  readonly multipartThreshold?: number;
  /** Part size for multipart uploads (S3's minimum is 5 MiB). Default 8 MiB. */
  readonly partSize?: number;
}

const META_STORAGE_CLASS = 'spoke-storage-class';

/** Maps S3's storage classes onto Spoke's four tiers. */
export function storageClassFromS3(value: string | undefined): StorageClass {
  switch (value) {
    case 'EXPRESS_ONEZONE':
      return 'hot';
    case 'STANDARD_IA':
    case 'ONEZONE_IA':
    case 'INTELLIGENT_TIERING':
    case 'GLACIER_IR':
      return 'infrequent';
    case 'GLACIER':
    case 'DEEP_ARCHIVE':
      return 'archive';
    default:
      return 'standard';
  }
}

/** Objects in an S3 bucket under an optional prefix. */
export class S3ObjectStore implements ObjectStore {
  readonly stats: TransferStats = emptyTransferStats();
  readonly bucket: string;
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #multipartThreshold: number;
  readonly #partSize: number;
  /** GETs without the SDK's per-request overhead, where the address is plain (see s3-get.ts). */
  readonly #lean: LeanS3Getter | undefined;

  constructor(
    readonly url: string,
    options: S3Options = {},
  ) {
    const parsed = new URL(url);
    this.bucket = parsed.hostname;
    if (!this.bucket) throw new SpokeError(ErrorCode.INVALID_CONFIG, `"${url}": an s3:// URL needs a bucket`);
    const path = decodeURIComponent(parsed.pathname).replace(/^\/+/, '');
    this.prefix = path === '' || path.endsWith('/') ? path : `${path}/`;
    const config: S3ClientConfig = {
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? false,
      // Checksums only where S3 requires them: the default computes a CRC32 of every upload body in
      // JavaScript and asks for one on every GET, though a ranged GET (all a Parquet scan sends) never has
      // one to check.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.accessKeyId && options.secretAccessKey) {
      config.credentials = {
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.secretAccessKey,
        ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
      };
    }
    this.#client = new S3Client(config);
    const region = config.region as string;
    const env = process.env;
    const plainAws =
      !env.AWS_ENDPOINT_URL &&
      !env.AWS_ENDPOINT_URL_S3 &&
      !env.AWS_USE_FIPS_ENDPOINT &&
      !env.AWS_USE_DUALSTACK_ENDPOINT &&
      /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(this.bucket);
    // As the SDK addresses a bucket: path-style when asked or when the endpoint is an IP address, else a
    // virtual host, which only a DNS-compatible name without dots can be (other names keep the SDK).
    const endpoint = options.endpoint ? new URL(options.endpoint) : undefined;
    const pathStyle =
      (options.forcePathStyle ?? false) ||
      (endpoint !== undefined && isIP(endpoint.hostname.replace(/^\[|\]$/g, '')) !== 0);
    const hostable = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(this.bucket);
    const address = endpoint
      ? pathStyle || hostable
        ? { endpoint, pathStyle, region }
        : undefined
      : plainAws
        ? { endpoint: new URL(`https://s3.${region}.amazonaws.com`), pathStyle: false, region }
        : undefined;
    const credentials = this.#client.config.credentials;
    this.#lean = address ? new LeanS3Getter(address, this.bucket, () => credentials()) : undefined;
    this.#multipartThreshold = options.multipartThreshold ?? 16 * 1024 * 1024;
    this.#partSize = Math.max(5 * 1024 * 1024, options.partSize ?? 8 * 1024 * 1024);
  }

  urlOf(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  #key(key: string): string {
    return this.prefix + checkKey(key);
  }

  #wrap(error: unknown, key: string, what: string): never {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e?.name === 'AbortError') throw SpokeError.cancelled();
    if (e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404)
      throw objectNotFound(this.urlOf(key), error);
    const code =
      e?.$metadata?.httpStatusCode === undefined ? ErrorCode.SOURCE_UNAVAILABLE : ErrorCode.SOURCE_ERROR;
    throw new SpokeError(code, `${what} ${this.urlOf(key)} failed: ${(error as Error)?.message ?? error}`, {
      cause: error,
    });
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const range = options.range;
    if (range && range.end <= range.start) return new Uint8Array(0);
    if (this.#lean) return this.#leanGet(this.#lean, key, range, options.signal);
    try {
      const bytes = await withRequestSignal(options.signal, async (signal) => {
        const out = await this.#client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: this.#key(key),
            ...(range ? { Range: `bytes=${Math.max(0, range.start)}-${range.end - 1}` } : {}),
          }),
          signal ? { abortSignal: signal } : {},
        );
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
      });
      this.stats.gets++;
      this.stats.bytesRead += bytes.byteLength;
      return bytes;
    } catch (error) {
      // A range starting past the end is S3's 416; answer as the other backends do.
      if ((error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 416)
        return new Uint8Array(0);
      this.#wrap(error, key, 'GET');
    }
  }

  /** A GET through the lean path: retried twice on a dropped connection or a 5xx, as the SDK would. */
  async #leanGet(
    lean: LeanS3Getter,
    key: string,
    range: GetOptions['range'],
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    const fullKey = this.#key(key);
    for (let attempt = 0; ; attempt++) {
      let response: Awaited<ReturnType<LeanS3Getter['get']>>;
      try {
        response = await withRequestSignal(signal, (own) => lean.get(fullKey, range, own));
      } catch (error) {
        const code = (error as { code?: string })?.code;
        const transient = code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNREFUSED';
        if (transient && attempt < 2 && !signal?.aborted) continue;
        this.#wrap(error, key, 'GET');
      }
      const { status, body } = response;
      if (status >= 500 && attempt < 2) {
        await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
        continue;
      }
      // A range starting past the end is S3's 416; answer as the other backends do.
      if (status === 416) return new Uint8Array(0);
      if (status === 404) throw objectNotFound(this.urlOf(key));
      if (status >= 300)
        throw new SpokeError(
          ErrorCode.SOURCE_ERROR,
          `GET ${this.urlOf(key)} failed: ${response.errorCode ?? `HTTP ${status}`}${response.errorMessage ? `: ${response.errorMessage}` : ''}`,
          { details: { object: this.urlOf(key), httpStatus: status } },
        );
      this.stats.gets++;
      this.stats.bytesRead += body.byteLength;
      return body;
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectMeta | undefined> {
    this.stats.heads++;
    try {
      const out = await withRequestSignal(signal, (own) =>
        this.#client.send(
          new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }),
          own ? { abortSignal: own } : {},
        ),
      );
      const tagged = out.Metadata?.[META_STORAGE_CLASS] as StorageClass | undefined;
      return {
        key,
        size: out.ContentLength ?? 0,
        etag: out.ETag,
        lastModified: out.LastModified,
        storageClass:
          tagged && STORAGE_CLASSES.includes(tagged) ? tagged : storageClassFromS3(out.StorageClass),
      };
    } catch (error) {
      try {
        this.#wrap(error, key, 'HEAD');
      } catch (wrapped) {
        if (SpokeError.isInstance(wrapped) && wrapped.details?.notFound) return undefined;
        throw wrapped;
      }
    }
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<ObjectMeta> {
    const Key = this.#key(key);
    const Metadata = options.storageClass ? { [META_STORAGE_CLASS]: options.storageClass } : undefined;
    const common = {
      Bucket: this.bucket,
      Key,
      ...(Metadata ? { Metadata } : {}),
      ...(options.contentType ? { ContentType: options.contentType } : {}),
    };
    const abort = options.signal ? { abortSignal: options.signal } : {};
    try {
      if (body.byteLength <= this.#multipartThreshold) {
        await this.#client.send(new PutObjectCommand({ ...common, Body: body }), abort);
        this.stats.puts++;
      } else {
        await this.#multipart(common, body, abort);
      }
      this.stats.bytesWritten += body.byteLength;
    } catch (error) {
      this.#wrap(error, key, 'PUT');
    }
    const meta = await this.head(key);
    this.stats.heads--;
    if (!meta) throw objectNotFound(this.urlOf(key));
    return meta;
  }

  async #multipart(
    common: { Bucket: string; Key: string; Metadata?: Record<string, string>; ContentType?: string },
    body: Uint8Array,
    abort: { abortSignal?: AbortSignal },
  ): Promise<void> {
    const { UploadId } = await this.#client.send(new CreateMultipartUploadCommand(common), abort);
    if (!UploadId) throw new Error('CreateMultipartUpload returned no upload id');
    const { Bucket, Key } = common;
    try {
      const count = Math.ceil(body.byteLength / this.#partSize);
      const parts: { ETag: string; PartNumber: number }[] = new Array(count);
      // A few parts in flight: enough to fill a link without holding the whole object twice.
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const index = next++;
          const slice = body.subarray(
            index * this.#partSize,
            Math.min(body.byteLength, (index + 1) * this.#partSize),
          );
          const out = await this.#client.send(
            new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: index + 1, Body: slice }),
            abort,
          );
          this.stats.puts++;
          parts[index] = { ETag: out.ETag ?? '', PartNumber: index + 1 };
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      await this.#client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
        abort,
      );
    } catch (error) {
      await this.#client
        .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectMeta> {
    if (this.#lean) {
      yield* this.#leanList(this.#lean, prefix, signal);
      return;
    }
    let token: string | undefined;
    do {
      let out: ListObjectsV2CommandOutput;
      try {
        out = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
          signal ? { abortSignal: signal } : {},
        );
      } catch (error) {
        this.#wrap(error, prefix, 'LIST');
      }
      this.stats.lists++;
      for (const item of out.Contents ?? []) {
        if (!item.Key) continue;
        yield {
          key: item.Key.slice(this.prefix.length),
          size: item.Size ?? 0,
          etag: item.ETag,
          lastModified: item.LastModified,
          storageClass: storageClassFromS3(item.StorageClass),
        };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  /** LIST through the lean path, page after page (each needs the previous page's token). */
  async *#leanList(lean: LeanS3Getter, prefix: string, signal?: AbortSignal): AsyncIterable<ObjectMeta> {
    let token: string | undefined;
    do {
      let page: ListPage | undefined;
      for (let attempt = 0; !page; attempt++) {
        let out: Awaited<ReturnType<typeof listPage>>;
        try {
          out = await withRequestSignal(signal, (own) => listPage(lean, this.prefix + prefix, token, own));
        } catch (error) {
          const code = (error as { code?: string })?.code;
          if ((code === 'ECONNRESET' || code === 'EPIPE') && attempt < 2 && !signal?.aborted) continue;
          this.#wrap(error, prefix, 'LIST');
        }
        if (out.status >= 500 && attempt < 2) {
          await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
          continue;
        }
        if (out.status === 404) throw objectNotFound(this.urlOf(prefix));
        if (!out.page)
          throw new SpokeError(
            ErrorCode.SOURCE_ERROR,
            `LIST ${this.urlOf(prefix)} failed: ${out.errorCode ?? `HTTP ${out.status}`}${out.errorMessage ? `: ${out.errorMessage}` : ''}`,
            { details: { object: this.urlOf(prefix), httpStatus: out.status } },
          );
        page = out.page;
      }
      this.stats.lists++;
      for (const item of page.objects) {
        yield {
          key: item.key.slice(this.prefix.length),
          size: item.size,
          etag: item.etag,
          lastModified: item.lastModified,
          storageClass: storageClassFromS3(item.storageClass),
        };
      }
      token = page.next;
    } while (token);
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      this.#wrap(error, key, 'DELETE');
    }
  }

  async close(): Promise<void> {
    this.#lean?.close();
    this.#client.destroy();
  }
}
