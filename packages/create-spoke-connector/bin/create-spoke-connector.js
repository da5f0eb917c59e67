#!/usr/bin/env node
// The `create-spoke-connector` command (`npm create spoke-connector`). A committed
// file rather than dist/cli.js itself, so that the bin is linked before a build.
import('../dist/cli.js')
  .then(({ main }) => main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  });
