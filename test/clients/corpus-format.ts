/**
 * The replay corpus's file format (`corpus/<tool>.sql`): a comment line, then
 * each statement after a separator line, exactly as the tool sent it.
 */
import { readFileSync } from 'node:fs';

/** The line before each statement. */
export const CORPUS_SEPARATOR = '-- ---- statement';

/** The statements of one corpus file. */
export function readCorpus(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(`${CORPUS_SEPARATOR}\n`)
    .slice(1)
    .map((s) => s.replace(/\n$/, ''))
    .filter((s) => s.trim() !== '');
}
