import { ErrorCode, SpokeError } from '@spoke/core';

/** The error for a missing object: `SOURCE_ERROR`, `details.notFound = true`, naming the object. */
export function objectNotFound(url: string, cause?: unknown): SpokeError {
  return new SpokeError(ErrorCode.SOURCE_ERROR, `object ${url} does not exist`, {
    cause,
    details: { notFound: true, object: url },
  });
}

/** True when `error` is the {@link objectNotFound} error. */
export function isObjectNotFound(error: unknown): boolean {
  return SpokeError.isInstance(error) && error.details?.notFound === true;
}

/** Clamps a requested range to an object of `size` bytes. */
export function clampRange(
  range: { start: number; end: number } | undefined,
  size: number,
): { start: number; end: number } {
  if (!range) return { start: 0, end: size };
  const start = Math.max(0, Math.min(range.start, size));
  return { start, end: Math.max(start, Math.min(range.end, size)) };
}

/** Refuses keys that could escape the store root or that no backend can hold. */
export function checkKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '.'))
    throw new SpokeError(ErrorCode.INVALID_QUERY, `invalid object key "${key}"`);
  return key;
}
