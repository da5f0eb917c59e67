/**
 * The ```console blocks of a Markdown file, taken apart into the commands
 * they show (`$ …`, continued over lines while a quote is open or a line
 * ends in `\`) and the output shown under each.
 */
import { readFile } from 'node:fs/promises';

/** One shown command and its shown output. */
export interface ShownCommand {
  /** The command as written, continuation lines included, without the `$ `. */
  readonly command: string;
  /** The output lines shown under it, trailing blank lines dropped. */
  readonly output: string;
  /** 1-based line of the `$` in the file, for messages. */
  readonly line: number;
}

/** Whether `text` leaves a shell quote open or ends in a line-continuing backslash. */
function incomplete(text: string): boolean {
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === '\\') {
      if (i === text.length - 1) return true;
      i++;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
  }
  return quote !== undefined;
}

/** Every command shown in the file's ```console blocks, in order. */
export async function shownCommands(file: string): Promise<ShownCommand[]> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const out: ShownCommand[] = [];
  let inBlock = false;
  let current: { command: string[]; output: string[]; line: number } | undefined;
  const flush = () => {
    if (!current) return;
    while (current.output.length && current.output.at(-1)!.trim() === '') current.output.pop();
    out.push({ command: current.command.join('\n'), output: current.output.join('\n'), line: current.line });
    current = undefined;
  };
  lines.forEach((text, i) => {
    if (!inBlock) {
      if (text.trim() === '```console') inBlock = true;
      return;
    }
    if (text.trim() === '```') {
      flush();
      inBlock = false;
      return;
    }
    if (current && incomplete(current.command.join('\n'))) {
      current.command.push(text);
      return;
    }
    if (text.startsWith('$ ')) {
      flush();
      current = { command: [text.slice(2)], output: [], line: i + 1 };
      return;
    }
    current?.output.push(text);
  });
  return out;
}
