/**
 * MariaDB full scan → Arrow, 1M rows × 5 columns, beside the limit measured
 * in the same run: the `mariadb` command-line client writing the same rows
 * to /dev/null (batch mode, tab-separated).
 *
 *   node --import tsx bench/mysql-scan.ts [rows] [runs]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connector } from '../packages/connector-mysql/src/index.js';
import { startMariaDB } from '../test/harness/mariadb-server.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const server = await startMariaDB({ settings: { 'innodb-buffer-pool-size': '512M' } });
try {
  server.sql(`CREATE TABLE scan (id BIGINT PRIMARY KEY, qty INT, price DOUBLE, name VARCHAR(40), at DATETIME(6)) ENGINE=InnoDB;
    INSERT INTO scan SELECT seq, seq % 1000, seq * 0.25, CONCAT('customer-', seq % 50000), TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq SECOND
    FROM seq_1_to_${rows};`);
  const select = 'SELECT `id`, `qty`, `price`, `name`, `at` FROM `spoke`.`scan`';
  const my = await connector.create(
    { url: server.url, poolSize: 2 },
    { sourceName: 'bench', baseDir: process.cwd() },
  );
  const table = (await my.catalog.getTable('spoke', 'scan'))!;
  const scanOnce = async () => {
    const t0 = performance.now();
    let n = 0;
    for await (const batch of table.scan({
      projection: ['id', 'qty', 'price', 'name', 'at'],
      filters: [],
      signal: new AbortController().signal,
      context: { queryId: 'bench', roles: [] },
    })) {
      n += batch.numRows;
    }
    return { n, ms: performance.now() - t0 };
  };
  const cliOnce = () => {
    const t0 = performance.now();
    const devNull = openSync('/dev/null', 'w');
    const r = spawnSync(
      server.client,
      [
        '--no-defaults',
        `--socket=${server.socket}`,
        '-uroot',
        '--batch',
        '--skip-column-names',
        '--quick',
        '-e',
        select,
        'spoke',
      ],
      {
        stdio: ['ignore', devNull, 'pipe'],
      },
    );
    closeSync(devNull);
    if (r.status !== 0) throw new Error(String(r.stderr));
    return performance.now() - t0;
  };
  await scanOnce(); // warm the buffer pool and the prepared statement
  cliOnce();
  const runs = Number(process.argv[3] ?? 5);
  const spoke: number[] = [];
  const cli: number[] = [];
  let count = 0;
  // Alternate the two so both see the same machine load.
  for (let i = 0; i < runs; i++) {
    const s = await scanOnce();
    count = s.n;
    spoke.push(s.ms);
    cli.push(cliOnce());
  }
  const best = (xs: number[]) => Math.min(...xs);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rate = (ms: number) => Math.round(count / (ms / 1000));
  console.log(`mysql scan: ${count} rows x 5 columns (${runs} runs, best / median)`);
  console.log(
    `  spoke connector → Arrow: ${best(spoke).toFixed(0)} / ${median(spoke).toFixed(0)} ms, ${rate(best(spoke)).toLocaleString('en')} rows/s`,
  );
  console.log(
    `  mariadb client → /dev/null: ${best(cli).toFixed(0)} / ${median(cli).toFixed(0)} ms, ${rate(best(cli)).toLocaleString('en')} rows/s`,
  );
  console.log(
    `  ratio (spoke / client time): ${(best(spoke) / best(cli)).toFixed(2)}x best, ${(median(spoke) / median(cli)).toFixed(2)}x median; per run ${spoke.map((s, i) => (s / cli[i]!).toFixed(2)).join(' ')}`,
  );
  await my.close();
} finally {
  await server.close();
}
