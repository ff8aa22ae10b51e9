/**
 * Stands in for `node:crypto` in the deployed bundles (lib/defaults/lambda.ts aliases it): the same functions, read
 * from the built-in module without an ES module import, whose facade reads every export of `crypto` and so loads
 * its Web Crypto implementation, which no function uses (bench -- bundles: about 2% of a cold import's work). A
 * name not listed here fails the bundling, so nothing is silently missing.
 */
const crypto = process.getBuiltinModule('node:crypto');

export const {
  createHash,
  createHmac,
  createPublicKey,
  createSign,
  createVerify,
  getRandomValues,
  hash,
  randomBytes,
  randomInt,
  randomUUID,
  timingSafeEqual,
} = crypto;
