/**
 * The real sources the TPC-H kit reads from, each loaded with the tables it
 * holds in some placement: PostgreSQL and MariaDB (the harness's servers,
 * spec DDL with CHAR(n)/DECIMAL(15,2)/DATE, primary keys and foreign-key
 * indexes as a server holding TPC-H has them), Parquet on S3 (s3rver), Lance
 * and DuckDB files in-process, and the Snowflake emulator.
 */
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { type LanceConnector, connector as lanceConnector } from '@spoke/connector-lance';
import { connector as mysqlConnector } from '@spoke/connector-mysql';
import { createParquetConnector } from '@spoke/connector-parquet';
import { connector as postgresConnector } from '@spoke/connector-postgres';
import { connector as snowflakeConnector } from '@spoke/connector-snowflake';
import type { RecordBatch, SpokeConnector } from '@spoke/core';
import { openStore } from '@spoke/object-store';
import { streamResultAsArrow } from '@spoke/planner';
import { startPostgres } from '../harness/index.js';
import { startMariaDB } from '../harness/mariadb-server.js';
import { startS3Server } from '../harness/s3-server.js';
import { startSnowflakeEmulator } from '../harness/snowflake-emulator/index.js';
import { createTableSql, keyIndexSql, TPCH_TABLES, type TpchTableName } from '../harness/tpch/index.js';

/** The kinds of source a table can be placed in. */
export const SOURCE_NAMES = ['pg', 'maria', 's3', 'lance', 'duck', 'snow'] as const;
/** A source name: the first part of `source.table` in the queries. */
export type SourceName = (typeof SOURCE_NAMES)[number];

/** The started sources: connectors by name, and how to stop everything. */
export interface TpchSources {
  readonly connectors: Record<SourceName, SpokeConnector>;
  close(): Promise<void>;
}

/**
 * Starts the servers and loads into each source the tables `holds` lists
 * for it, from the reference DuckDB connection (`ref`, tables unqualified)
 * through files in `dir`.
 */
export async function startTpchSources(
  ref: DuckDBConnection,
  dir: string,
  holds: Readonly<Record<SourceName, readonly TpchTableName[]>>,
): Promise<TpchSources> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    // psql and mariadbd read the CSV files as other OS users when we are root.
    chmodSync(dir, 0o755);
    const csv = (t: TpchTableName) => join(dir, `${t}.csv`);
    const needCsv = new Set([...holds.pg, ...holds.maria]);
    for (const t of needCsv) {
      await ref.run(`COPY ${t} TO '${csv(t)}' (FORMAT csv, HEADER false)`);
      chmodSync(csv(t), 0o644);
    }
    const parquetDir = join(dir, 'parquet');
    mkdirSync(parquetDir);
    const parquet = (t: TpchTableName) => join(parquetDir, `${t}.parquet`);
    for (const t of new Set([...holds.s3, ...holds.snow])) {
      await ref.run(`COPY ${t} TO '${parquet(t)}' (FORMAT parquet)`);
    }

    const [pg, maria, s3, snow] = await Promise.all([
      startPostgres(),
      startMariaDB(),
      startS3Server({ buckets: ['tpch'] }),
      startSnowflakeEmulator({
        setup: async (db) => {
          // Snowflake stores unquoted names upper-case.
          for (const t of holds.snow) {
            const columns = TPCH_TABLES[t].map((c) => `${c.name} AS "${c.name.toUpperCase()}"`).join(', ');
            await db.run(
              `CREATE TABLE "${t.toUpperCase()}" AS SELECT ${columns} FROM read_parquet('${parquet(t)}')`,
            );
          }
        },
      }),
    ]);
    closers.push(
      () => pg.close(),
      () => maria.close(),
      () => s3.close(),
      () => snow.close(),
    );

    pg.psql(
      holds.pg
        .map(
          (t) =>
            `${createTableSql(t)};\n\\copy ${t} FROM '${csv(t)}' WITH (FORMAT csv)\n${keyIndexSql(t).join(';\n')};`,
        )
        .concat('ANALYZE;')
        .join('\n'),
    );
    maria.sql(
      holds.maria
        .map(
          (t) =>
            `${createTableSql(t)};\nLOAD DATA INFILE '${csv(t)}' INTO TABLE ${t} FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"';\n${keyIndexSql(t).join(';\n')};\nANALYZE TABLE ${t};`,
        )
        .join('\n'),
    );
    const store = openStore('s3://tpch/', {
      s3: {
        endpoint: s3.endpoint,
        forcePathStyle: true,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
        region: s3.region,
      },
    });
    for (const t of holds.s3) await store.put(`${t}.parquet`, new Uint8Array(readFileSync(parquet(t))));
    await store.close();

    const duckFile = join(dir, 'tpch.duckdb');
    await ref.run(`ATTACH '${duckFile}' AS duckfile`);
    for (const t of holds.duck) await ref.run(`CREATE TABLE duckfile.${t} AS SELECT * FROM ${t}`);
    await ref.run('DETACH duckfile');

    const context = (sourceName: string) => ({ sourceName, baseDir: dir });
    const lance = (await lanceConnector.create(
      { uri: join(dir, 'lance') },
      context('lance'),
    )) as LanceConnector;
    for (const t of holds.lance) {
      const batches: RecordBatch[] = [];
      for await (const b of streamResultAsArrow(await ref.stream(`SELECT * FROM ${t}`))) batches.push(b);
      await lance.createTableFrom(t, batches[0]!.schema, batches);
    }

    const connectors: Record<SourceName, SpokeConnector> = {
      pg: await postgresConnector.create({ url: pg.url }, context('pg')),
      maria: await mysqlConnector.create({ url: maria.url }, context('maria')),
      s3: await createParquetConnector(
        {
          url: 's3://tpch/',
          s3: {
            endpoint: s3.endpoint,
            forcePathStyle: 'true',
            accessKeyId: s3.accessKeyId,
            secretAccessKey: s3.secretAccessKey,
            region: s3.region,
          },
        },
        context('s3'),
      ),
      lance,
      duck: await duckdbConnector.create({ path: duckFile }, context('duck')),
      snow: await snowflakeConnector.create(
        {
          account: snow.account,
          username: snow.user,
          password: snow.password,
          database: snow.database,
          schema: snow.schema,
          warehouse: snow.warehouse,
          accessUrl: snow.accessUrl,
        },
        context('snow'),
      ),
    };
    for (const c of Object.values(connectors)) closers.push(async () => c.close?.());
    return { connectors, close };
  } catch (error) {
    await close();
    throw error;
  }
}
