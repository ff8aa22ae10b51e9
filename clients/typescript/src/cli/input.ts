/**
 * Events from a file or stdin: a JSON event, a JSON array of events, `{"events": [...]}` (the API's body), or
 * NDJSON (one event a line). Throws a message naming the line or the reason.
 */
export function parseEvents(text: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('no events in the input');
  let whole: unknown;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    return trimmed.split('\n').flatMap((line, index) => {
      if (line.trim() === '') return [];
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch (error) {
        throw new Error(`line ${index + 1} is not JSON: ${(error as Error).message}`);
      }
      return [asEvent(event, `line ${index + 1}`)];
    });
  }
  if (Array.isArray(whole)) return whole.map((event, index) => asEvent(event, `event ${index}`));
  if (isObject(whole) && Object.keys(whole).length === 1 && Array.isArray(whole.events)) {
    return whole.events.map((event, index) => asEvent(event, `event ${index}`));
  }
  return [asEvent(whole, 'the input')];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function asEvent(value: unknown, where: string): Record<string, unknown> {
  if (!isObject(value)) throw new Error(`${where} is not a JSON object`);
  return value;
}
