/**
 * The `spoke` command as tests spawn it: the gateway's built `dist/cli.js`,
 * the file its package's `bin` ships, run by plain node.
 *
 * Why not the TypeScript source through tsx: every spawned process (and each
 * cluster worker it forks) then loads tsx and looks up the transform of
 * every module, ~0.5–1 s of CPU a process, and the tests start dozens.
 * `npm test` builds first (turbo's `test` task depends on `build`); after
 * editing the gateway's `src/`, run `npm run build` before a test file alone.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of the built CLI: spawn it as `node SPOKE_CLI …args`. */
export const SPOKE_CLI = fileURLToPath(new URL('../../apps/gateway/dist/cli.js', import.meta.url));

if (!existsSync(SPOKE_CLI))
  throw new Error(`${SPOKE_CLI} does not exist: build the gateway first (npm run build)`);
