/**
 * `create-spoke-connector`: scaffolds a Spoke connector package. The command
 * is `npm create spoke-connector@latest <folder>`; the functions are exported
 * for tools and tests.
 *
 * @packageDocumentation
 */
export { HELP, main } from './cli.js';
export * from './names.js';
export * from './scaffold.js';
export * from './versions.js';
