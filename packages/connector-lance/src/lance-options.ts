import { isAbsolute, resolve } from 'node:path';
import type { ConnectorContext } from '@spoke/core';
import { type OptionSpec, type ParsedOptions, parseOptions } from '@spoke/sdk';

/** The options a `connector: lance` source accepts. */
export const lanceOptionSpec = {
  uri: {
    type: 'string',
    required: true,
    description:
      'a local directory (relative to the config file) or s3://bucket/prefix holding the Lance tables',
  },
  storageOptions: {
    type: 'string-map',
    description:
      'object-store settings passed to Lance: endpoint, region, aws_access_key_id, aws_secret_access_key, aws_session_token, allow_http, …',
  },
  readConsistencyInterval: {
    type: 'number',
    default: 0,
    description:
      'seconds between checks for writes by other processes; 0 checks on every read (strong consistency)',
  },
  manifestEnabled: {
    type: 'boolean',
    default: false,
    description:
      "list and track tables through LanceDB's namespace manifest (__manifest) instead of listing directories",
  },
  nprobes: {
    type: 'integer',
    default: 20,
    description: 'IVF partitions searched per vector query when an index is used',
  },
  refineFactor: {
    type: 'integer',
    default: 10,
    description:
      'with an index, re-rank refineFactor × k candidates by exact distance (so distances returned are exact)',
  },
  ef: {
    type: 'integer',
    default: 64,
    description: 'HNSW candidate list size per vector query',
  },
  autoCompactFragments: {
    type: 'integer',
    default: 0,
    description: 'compact a table in the background once it has more fragments than this (0: never)',
  },
  autoCompactIntervalSeconds: {
    type: 'number',
    default: 60,
    description: 'how often the background compaction policy looks at fragment counts',
  },
  versionRetentionSeconds: {
    type: 'number',
    default: 604800,
    description: 'VACUUM and background compaction delete versions older than this (default 7 days)',
  },
} as const satisfies Record<string, OptionSpec>;

/** Parsed, validated options. */
export type LanceOptions = ParsedOptions<typeof lanceOptionSpec>;

/** Validates options and resolves a relative local `uri` against the config file's directory. */
export function parseLanceOptions(
  options: Readonly<Record<string, unknown>>,
  context: Pick<ConnectorContext, 'sourceName' | 'baseDir'>,
): LanceOptions {
  const parsed = parseOptions(options, lanceOptionSpec, context);
  const uri =
    /^[a-z][a-z0-9+.-]*:\/\//i.test(parsed.uri) || isAbsolute(parsed.uri)
      ? parsed.uri
      : resolve(context.baseDir, parsed.uri);
  return { ...parsed, uri };
}
