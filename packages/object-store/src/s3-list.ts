/**
 * ListObjectsV2 through the lean path (`s3-get.ts`): one signed GET per page
 * and a small reader of its XML. A cold query's first request is a LIST; on a
 * new SDK client it costs several milliseconds of CPU (endpoint rules,
 * credentials, middleware, XML parser) before the request leaves.
 */
import type { LeanS3Getter } from './s3-get.js';

/** One listed object, as the SDK's `ListObjectsV2` reports it (ETag with its quotes). */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
  readonly lastModified: Date | undefined;
  readonly storageClass: string | undefined;
}

/** One page of a listing. */
export interface ListPage {
  readonly objects: readonly ListedObject[];
  /** The token for the next page; undefined on the last. */
  readonly next: string | undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML text with its entities (named and numeric) decoded. */
export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

function element(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? decodeXmlText(m[1] as string) : undefined;
}

/** Parses a `ListBucketResult` (ListObjectsV2) document. */
export function parseListPage(xml: string): ListPage {
  const objects: ListedObject[] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const item = m[1] as string;
    const key = element(item, 'Key');
    if (key === undefined) continue;
    const modified = element(item, 'LastModified');
    objects.push({
      key,
      size: Number(element(item, 'Size') ?? 0),
      etag: element(item, 'ETag'),
      lastModified: modified ? new Date(modified) : undefined,
      storageClass: element(item, 'StorageClass'),
    });
  }
  // Only the document's own elements outside <Contents> (a key could contain the text of a tag).
  const outside = xml.replace(/<Contents>[\s\S]*?<\/Contents>/g, '');
  const truncated = element(outside, 'IsTruncated') === 'true';
  return { objects, next: truncated ? element(outside, 'NextContinuationToken') : undefined };
}

/** One page of `fullPrefix` (bucket-relative), after `token`. */
export async function listPage(
  lean: LeanS3Getter,
  fullPrefix: string,
  token: string | undefined,
  signal: AbortSignal | undefined,
): Promise<{ status: number; page?: ListPage; errorCode?: string; errorMessage?: string }> {
  const query: Record<string, string> = { 'list-type': '2', prefix: fullPrefix };
  if (token) query['continuation-token'] = token;
  const response = await lean.request('', query, undefined, signal);
  if (response.status >= 300)
    return {
      status: response.status,
      ...(response.errorCode !== undefined ? { errorCode: response.errorCode } : {}),
      ...(response.errorMessage !== undefined ? { errorMessage: response.errorMessage } : {}),
    };
  return { status: response.status, page: parseListPage(new TextDecoder().decode(response.body)) };
}
