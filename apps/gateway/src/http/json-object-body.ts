/** The JSON-object request bodies of the HTTP routes (`/v1/query`, `/v1/ask`, `/v1/cypher`). */
import { HttpError, HttpErrorCode } from './error-status.js';

/**
 * `text` parsed as a JSON object, or 400 `BAD_REQUEST` saying what is wrong;
 * `shape` is the example shown when the body is JSON but not an object
 * (`{"sql": "...", "params": [...]}`).
 */
export function parseJsonObjectBody(text: string, shape: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new HttpError(
      400,
      HttpErrorCode.BAD_REQUEST,
      `request body is not JSON: ${(error as Error).message}`,
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, HttpErrorCode.BAD_REQUEST, `request body must be a JSON object: ${shape}`);
  return body as Record<string, unknown>;
}
