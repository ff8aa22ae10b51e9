import { json, type Route } from '../adapters/http.js';
import { RequestError } from '../core/errors.js';
import { findInsight } from '../core/insights/find.js';
import { checkSharedEventId, insightSeries, parseBaselineMinutes } from '../core/insights/series.js';
import { retentionStartMs } from '../core/lookup-request.js';
import { type LookupRouteDependencies, requestContext } from './lookup.js';

/** GET /insights/{sharedEventID}/series: the per-minute counts behind an insight's graph (docs/insights.md). */
export function createInsightSeriesRoute(dependencies: LookupRouteDependencies): Route {
  const { config, reader, counters } = dependencies;
  return async (event, { signal, logger }) => {
    const sharedEventID = event.pathParameters?.sharedEventID ?? '';
    checkSharedEventId(sharedEventID);
    const { baselineMinutes, ...unknown } = event.queryStringParameters ?? {};
    const names = Object.keys(unknown);
    if (names.length > 0) {
      throw new RequestError('InvalidParameter', `unknown query parameter(s): ${names.join(', ')}`);
    }
    const minutes = parseBaselineMinutes(baselineMinutes);
    const context = requestContext(dependencies);
    const pair = await findInsight(sharedEventID, reader, {
      writeShards: config.writeShards,
      notBeforeMs: retentionStartMs(context),
      nowMs: context.nowMs,
      signal,
    });
    const series = await insightSeries(pair, counters, { baselineMinutes: minutes, nowMs: context.nowMs });
    logger.info('insight series read', { minutes: series.minutes.length, open: pair.end === undefined });
    return json(200, series);
  };
}
