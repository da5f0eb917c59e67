/**
 * The console's static files, when the optional `@spoke/console` package is
 * installed: found once, listed once (only files present at start are ever
 * served, so no request path can reach outside the folder), sent with a
 * content type and a validator.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';

/** The console's files: URL path (relative to `console/`) → file on disk. */
export interface ConsoleFiles {
  readonly root: string;
  readonly files: ReadonlyMap<
    string,
    { readonly path: string; readonly size: number; readonly etag: string }
  >;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

let found: Promise<ConsoleFiles | undefined> | undefined;

async function list(root: string): Promise<ConsoleFiles> {
  const files = new Map<string, { path: string; size: number; etag: string }>();
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const info = await stat(path);
        files.set(relative(root, path).split(sep).join('/'), {
          path,
          size: info.size,
          etag: `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
        });
      }
    }
  };
  await walk(root);
  return { root, files };
}

/** The installed console's files, or undefined when `@spoke/console` is not installed (or not built). */
export function consoleFiles(): Promise<ConsoleFiles | undefined> {
  found ??= (async () => {
    try {
      // A variable specifier: the package is optional, so the compiler must not require it.
      const specifier = '@spoke/console';
      const module = (await import(specifier)) as { consoleRoot?: string };
      if (!module.consoleRoot) return undefined;
      const files = await list(module.consoleRoot);
      return files.files.has('index.html') ? files : undefined;
    } catch {
      return undefined;
    }
  })();
  return found;
}

/** Sends one console file (`index.html` for an empty path); 404 when there is no such file. */
export async function serveConsoleFile(
  console: ConsoleFiles,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const name = path === '' ? 'index.html' : decodeURIComponent(path);
  const file = console.files.get(name);
  if (!file) {
    const text = JSON.stringify({ error: { code: 'NOT_FOUND', message: `no console file ${name}` } });
    res.writeHead(404, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    return;
  }
  const headers = {
    'content-type': TYPES[extname(name)] ?? 'application/octet-stream',
    etag: file.etag,
    // The page is small and changes with the package: revalidate every time.
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    // The page holds the login header: nothing but its own files may run, and no other site may frame it.
    // CodeMirror adds <style> elements, hence 'unsafe-inline' for styles only.
    'content-security-policy':
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    'x-frame-options': 'DENY',
  };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': file.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file.path);
    stream.on('error', reject);
    res.on('close', resolve);
    stream.pipe(res);
  });
}
