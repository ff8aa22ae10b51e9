import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.js';
import { createFunctionMetrics } from '../adapters/function-metrics.js';
import type { HttpHandler } from '../adapters/http.js';
import type { IngestPolicy } from '../core/ingest.js';
import type { ProvenanceMode } from '../core/provenance.js';
import { compileRedaction, type RedactionRules, redactionProblems } from '../core/redaction.js';
import { compileSelectors, selectorProblems, type TrailSelectors } from '../core/selectors.js';
import { configurationError, settingProblems } from '../manifest/settings.js';
import { createIngestHandler } from '../routes/ingest.js';
import { clientSettingsFor, type FunctionConfig, type FunctionRuntime } from './runtime.js';

/**
 * The trail's selectors and redaction rules, validated by the same functions the CDK app runs at synth and
 * compiled once; invalid ones stop the function's start with every problem named, so a bad deployment never
 * records the wrong events. The provenance mode needs no check here: its setting admits only valid modes.
 */
export function ingestPolicy(
  selectors: unknown,
  redaction: unknown,
  provenance: ProvenanceMode = 'strict',
): IngestPolicy {
  const problems = [
    ...settingProblems('selectors', selectorProblems(selectors)),
    ...settingProblems('redaction', redactionProblems(redaction)),
  ];
  if (problems.length > 0) throw configurationError(problems);
  return {
    selectors: compileSelectors(selectors as TrailSelectors | undefined),
    redact: compileRedaction(redaction as RedactionRules | undefined),
    provenance,
  };
}

/** The ingest function: POST /events and POST /PutAuditEvents. */
export function buildIngest(config: FunctionConfig<'ingest'>, runtime: FunctionRuntime): HttpHandler {
  return createIngestHandler({
    config,
    writer: new DynamoDbEventStore(
      new DynamoDBClient(clientSettingsFor(runtime.aws, 'dynamodb')),
      config.tableName,
    ),
    policy: ingestPolicy(config.selectors, config.redaction, config.provenance),
    logger: runtime.logger,
    metrics: createFunctionMetrics(
      runtime.metricsOutput === undefined ? {} : { output: runtime.metricsOutput },
    ),
    ...(runtime.now === undefined ? {} : { now: runtime.now }),
  });
}
