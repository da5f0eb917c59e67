import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkKey, clampRange, objectNotFound } from './errors.js';
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

// Storage-class metadata lives beside the data, under a folder that listing
// skips, because plain files have no portable place for user metadata.
const META_DIR = '.spoke-meta';
const TEMP_SUFFIX = '.spoke-partial';

/** Objects as files under a local directory (development, edge, the disk tier). */
export class FileObjectStore implements ObjectStore {
  readonly stats: TransferStats = emptyTransferStats();
  readonly root: string;

  constructor(readonly url: string) {
    this.root = fileURLToPath(url.endsWith('/') ? url : `${url}/`);
  }

  urlOf(key: string): string {
    return `${this.url.replace(/\/+$/, '')}/${key}`;
  }

  #path(key: string): string {
    return join(this.root, ...checkKey(key).split('/'));
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const path = this.#path(key);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === 'ENOENT' ||
        (error as NodeJS.ErrnoException).code === 'EISDIR'
      )
        throw objectNotFound(this.urlOf(key), error);
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const { start, end } = clampRange(options.range, size);
      const out = new Uint8Array(end - start);
      let done = 0;
      while (done < out.byteLength) {
        const { bytesRead } = await handle.read(out, done, out.byteLength - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      this.stats.gets++;
      this.stats.bytesRead += done;
      return done === out.byteLength ? out : out.subarray(0, done);
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    this.stats.heads++;
    try {
      const s = await stat(this.#path(key));
      if (!s.isFile()) return undefined;
      return {
        key,
        size: s.size,
        etag: `${s.size}-${Math.trunc(s.mtimeMs)}`,
        lastModified: s.mtime,
        storageClass: await this.#storageClass(key),
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async #storageClass(key: string): Promise<StorageClass> {
    try {
      const meta = JSON.parse(await readFile(join(this.root, META_DIR, `${key}.json`), 'utf8')) as {
        storageClass?: string;
      };
      if (STORAGE_CLASSES.includes(meta.storageClass as StorageClass))
        return meta.storageClass as StorageClass;
    } catch {
      // No sidecar: the object has the backend's natural class.
    }
    return 'hot';
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<ObjectMeta> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    // Write then rename, so a reader never sees half an object.
    const temp = `${path}.${randomUUID()}${TEMP_SUFFIX}`;
    await writeFile(temp, body);
    await rename(temp, path);
    const metaPath = join(this.root, META_DIR, `${key}.json`);
    if (options.storageClass) {
      await mkdir(dirname(metaPath), { recursive: true });
      await writeFile(metaPath, JSON.stringify({ storageClass: options.storageClass }));
    } else {
      await rm(metaPath, { force: true });
    }
    this.stats.puts++;
    this.stats.bytesWritten += body.byteLength;
    const meta = await this.head(key);
    this.stats.heads--;
    if (!meta) throw objectNotFound(this.urlOf(key));
    return meta;
  }

  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    this.stats.lists++;
    // Walk only the deepest directory the prefix names, not the whole root.
    const slash = prefix.lastIndexOf('/');
    const baseKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const start = baseKey ? join(this.root, ...baseKey.split('/')) : this.root;
    const keys: string[] = [];
    await walk(
      start,
      async (path) => {
        const key = relative(this.root, path).split(sep).join('/');
        if (key.startsWith(prefix) && !key.endsWith(TEMP_SUFFIX)) keys.push(key);
      },
      this.root,
    );
    keys.sort();
    for (const key of keys) {
      const meta = await this.head(key);
      this.stats.heads--;
      if (meta) yield meta;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
    await rm(join(this.root, META_DIR, `${key}.json`), { force: true });
  }

  async close(): Promise<void> {}
}

async function walk(dir: string, visit: (path: string) => Promise<void>, root: string): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return;
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (dir === root && entry.name === META_DIR) continue;
      await walk(path, visit, root);
    } else if (entry.isFile()) {
      await visit(path);
    }
  }
}
