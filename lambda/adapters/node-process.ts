/**
 * Stands in for `node:process` in the deployed bundles (lib/defaults/lambda.ts aliases it). Importing the built-in
 * module from an ES module makes Node copy every property of `process` into the module's exports, and reading
 * `process.stdin` opens a stream on standard input: 3 to 5 ms of a cold start, for the two values the SDK's user
 * agent reads (bench -- bundles). These are the same objects, read from the global. An import of any other name
 * fails the bundling, so nothing is silently missing.
 */
export const env = process.env;
export const versions = process.versions;
