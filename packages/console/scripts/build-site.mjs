// Builds the console page into dist/site: one bundled, minified app.js (Preact, CodeMirror) and
// app.css, and index.html. Nothing is loaded from anywhere else at run time.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'site');
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: { app: join(root, 'web', 'main.tsx') },
  outdir: out,
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: false,
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
await copyFile(join(root, 'web', 'style.css'), join(out, 'app.css'));
await copyFile(join(root, 'web', 'index.html'), join(out, 'index.html'));
