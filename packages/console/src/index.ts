/**
 * `@spoke/console` — the operator console's static files. The gateway serves
 * them at `/console/` (and redirects `/` there) when this package is installed.
 *
 * @packageDocumentation
 */
import { fileURLToPath } from 'node:url';

/** The folder holding `index.html`, `app.js` and `app.css`, built with the package. */
export const consoleRoot: string = fileURLToPath(new URL('./site/', import.meta.url));
