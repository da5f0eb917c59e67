import { ErrorCode, SpokeError } from '@spoke/core';

/**
 * Wraps an error from LanceDB as a SpokeError, keeping the original as the
 * cause. Unreachable object stores become `SOURCE_UNAVAILABLE`; anything else
 * Lance refuses is `SOURCE_ERROR`. SpokeErrors pass through unchanged.
 */
export function lanceError(error: unknown, source: string, what: string): SpokeError {
  if (SpokeError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Lance repeats the whole chain in its message ("… Caused by: …"): the first line is the useful part.
  const short = message.split(/,\s*\/usr\/local\/cargo|\s+Caused by:/)[0]!.trim();
  const unavailable =
    /connection refused|error sending request|dns error|timed out|connect error|tcp connect/i.test(message);
  return new SpokeError(
    unavailable ? ErrorCode.SOURCE_UNAVAILABLE : ErrorCode.SOURCE_ERROR,
    `${what}: ${short}`,
    {
      cause: error,
      source,
    },
  );
}

/** True when a LanceDB error says the table does not exist. */
export function isTableNotFound(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /was not found|not found|does not exist/i.test(message);
}
