/**
 * Snapshot tokens of Lance tables (`SpokeTable.snapshot`): what names the
 * rows a LanceDB table handle reads, cheaply enough to ask on every query.
 *
 * A Lance table's rows are those of one committed version, and each version
 * is one manifest file under `<table>.lance/_versions/` — named
 * `{u64::MAX - version:020}.manifest` (LanceDB 0.31's default, "V2" paths)
 * or `{version}.manifest` (older datasets) — listing the data and deletion
 * files (named by UUIDs, never rewritten) and the indexes. A manifest is
 * written once and never changed; a commit writes a new one. So the rows of
 * a version are named by that version's manifest file — but not by the
 * version number alone: a table dropped and created again (by any process)
 * starts again at version 1 with other rows. The token is therefore the
 * version plus the manifest's identity: inode, size, modification time (ns)
 * and a hash of its last 4 KiB — where the manifest keeps its commit time
 * (ns) and its transaction file's UUID, unique to the commit, so two
 * manifests never share an identity even when the file system reuses an
 * inode within one clock tick (the whole file is hashed when it is smaller).
 *
 * The version is the one the handle reads. With `readConsistencyInterval`
 * `0` (strong, the default) the handle loads the latest committed version
 * on every read, so the version is the latest on disk: the one LanceDB's
 * `_versions/latest_version_hint.json` names (written after each commit),
 * or a later one whose manifest is already there (probed upward) — read
 * here without a call into LanceDB, whose every call costs a hop between
 * threads (~50 µs, ~250 µs when its threads sleep between queries). With
 * an interval the handle moves to another process's commit only when
 * LanceDB refreshes it, so the version is the handle's own
 * (`table.version()`), and the token moves with it. Either way the token
 * changes exactly when what the handle reads does, and the engine, which
 * takes the token before a read and compares after, keeps no rows read
 * across a change.
 *
 * Only local datasets name a snapshot: on an object store the manifest's
 * identity would cost a request per query.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bytes of a manifest's end that are hashed (its commit time and transaction UUID are there). */
const TAIL_BYTES = 4096;

/** Versions probed past the hint (LanceDB writes it right after each commit, so it is rarely behind). */
const MAX_PROBES = 16;

/** `u64::MAX`, from which LanceDB's V2 manifest names count down. */
const U64_MAX = 2n ** 64n - 1n;

/**
 * The local directory of the dataset a LanceDB handle reads, from its
 * `display()` (`NativeTable(name, uri=/dir/name.lance, read_consistency_interval=0s)`,
 * the uri possibly a `file://` URL); `undefined` for an object store or a
 * text of another form.
 */
export function localDatasetDir(display: string): string | undefined {
  const uri = /, uri=(.+), read_consistency_interval=[^,]*\)$/.exec(display)?.[1];
  if (!uri) return undefined;
  if (uri.startsWith('/')) return uri;
  if (uri.startsWith('file://')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The manifest file names a version may have: V2 first (LanceDB 0.31's default), then V1. */
function manifestNames(version: number): string[] {
  return [`${(U64_MAX - BigInt(version)).toString().padStart(20, '0')}.manifest`, `${version}.manifest`];
}

/**
 * The identity of `version`'s manifest under `datasetDir` (see the file's
 * comment), or `undefined` when it is not there (a version removed by
 * clean-up, a dataset dropped). Synchronous on purpose: one open, fstat,
 * read of at most 4 KiB and close of a local file cost ~10 µs inline,
 * against ~80 µs through the thread pool (measured), and the engine asks
 * twice per cacheable read.
 */
export function manifestIdentity(datasetDir: string, version: number): string | undefined {
  for (const name of manifestNames(version)) {
    let fd: number;
    try {
      fd = openSync(join(datasetDir, '_versions', name), 'r');
    } catch {
      continue;
    }
    try {
      const stat = fstatSync(fd, { bigint: true });
      const length = Number(stat.size < BigInt(TAIL_BYTES) ? stat.size : BigInt(TAIL_BYTES));
      const tail = Buffer.allocUnsafe(length);
      let read = 0;
      while (read < length) {
        const n = readSync(fd, tail, read, length - read, Number(stat.size) - length + read);
        if (n === 0) break;
        read += n;
      }
      const hash = createHash('sha1').update(tail.subarray(0, read)).digest('base64url');
      return `${version}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${hash}`;
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }
  return undefined;
}

/**
 * The latest committed version of the local dataset in `datasetDir`: the
 * version `latest_version_hint.json` names, or a later one whose manifest
 * is there (a manifest appears whole, by rename, when its commit succeeds).
 * `undefined` — ask LanceDB — when there is no usable hint, its manifest is
 * missing, or more than {@link MAX_PROBES} versions follow it.
 */
export function latestLocalVersion(datasetDir: string): number | undefined {
  let version: unknown;
  try {
    version = (
      JSON.parse(readFileSync(join(datasetDir, '_versions', 'latest_version_hint.json'), 'utf8')) as {
        version?: unknown;
      }
    ).version;
  } catch {
    return undefined;
  }
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) return undefined;
  if (!manifestExists(datasetDir, version)) return undefined;
  for (let probe = 0; probe < MAX_PROBES; probe++, version++)
    if (!manifestExists(datasetDir, version + 1)) return version;
  return undefined;
}

function manifestExists(datasetDir: string, version: number): boolean {
  return manifestNames(version).some((name) => existsSync(join(datasetDir, '_versions', name)));
}
