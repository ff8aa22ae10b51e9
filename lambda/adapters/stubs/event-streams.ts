/**
 * Stands in for `@smithy/core/event-streams` in the deployed bundles (lib/defaults/lambda.ts aliases it). Only an
 * operation with an event stream reaches that module (S3 SelectObjectContent, CloudWatch Logs StartLiveTail and
 * GetLogObject), and no function calls one (test/infra/bundles.test.ts). The SDK imports it with `import()`, which
 * makes esbuild wrap it and every @smithy/core module it reaches in lazy initialisers that cannot be tree-shaken:
 * 19 KB of each bundle and about 6% of a cold import's work (bench -- bundles). An operation that needs it fails
 * with this message instead.
 */
const notBundled = (): never => {
  throw new Error(
    'OpenTrail bundles leave out AWS SDK event streams: no function calls an operation that has one',
  );
};

/** What clients with event-stream operations (S3, CloudWatch Logs) resolve at construction: nothing, until used. */
export const resolveEventStreamSerdeConfig = <T>(input: T): T => input;
export const eventStreamSerdeProvider = notBundled;
export class EventStreamSerde {
  constructor() {
    notBundled();
  }
}
