import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Writes text and waits when the stream's buffer is full, so a big result never piles up in memory. */
export type TextOutput = (text: string) => Promise<void>;

/** A {@link TextOutput} over a Node stream (stdout, a file, an HTTP response). */
export function textOutput(stream: Writable): TextOutput {
  return async (text) => {
    if (!stream.write(text)) await once(stream, 'drain');
  };
}
