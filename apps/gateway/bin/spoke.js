#!/usr/bin/env node
// The `spoke` command. A committed file rather than dist/cli.js itself, so
// that `npm ci` on a fresh clone links the bin before anything is built.
import('../dist/cli.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    process.stderr.write(
      'spoke: the gateway is not built yet; run: npm run build (or npx turbo run build --filter=@spoke/gateway...)\n',
    );
    process.exit(1);
  }
  throw error;
});
