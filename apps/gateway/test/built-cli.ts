/**
 * The `spoke` command as the tests spawn it: the built `dist/cli.js`, the
 * file the package's `bin` ships, run by plain node (as test/harness's
 * `spoke serve` does).
 *
 * Why not the TypeScript source through tsx: every spawned process (and each
 * cluster worker it forks) then loads tsx and looks up the transform of
 * every module, ~0.5–1 s of CPU a process, and these tests start about
 * forty. `npm test` builds first (turbo's `test` task depends on `build`);
 * after editing `src/`, run `npm run build` before a test file alone.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of the built CLI: spawn it as `node CLI …args`. */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: build the gateway first (npm run build)`);
