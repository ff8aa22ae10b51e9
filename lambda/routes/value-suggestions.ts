import { json, type Route } from '../adapters/http.js';
import { retentionStartMs } from '../core/lookup-request.js';
import { parseSuggestionRequest, suggestValues } from '../core/value-suggestions.js';
import { type LookupRouteDependencies, requestContext } from './lookup.js';

/** GET /values/{attribute}: bounded value suggestions for the console's filters (docs/console.md). */
export function createValueSuggestionsRoute(dependencies: LookupRouteDependencies): Route {
  const { config, reader } = dependencies;
  return async (event, { signal, logger }) => {
    const request = parseSuggestionRequest(
      event.pathParameters?.attribute ?? '',
      event.queryStringParameters ?? {},
    );
    const context = requestContext(dependencies);
    const suggestions = await suggestValues(request, reader, {
      writeShards: config.writeShards,
      notBeforeMs: retentionStartMs(context),
      nowMs: context.nowMs,
      signal,
    });
    logger.info('values suggested', { attribute: request.attribute, returned: suggestions.values.length });
    return json(200, suggestions);
  };
}
