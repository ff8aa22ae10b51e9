const RELATIVE = /^-(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `-90s`, `-15m`, `-1h`, `-2d`, `-1w` before `now`, or an ISO 8601 time; throws a message the CLI prints. */
export function parseTime(text: string, now: Date): Date {
  const relative = RELATIVE.exec(text.trim());
  if (relative !== null) {
    const [, amount = '0', unit = 's'] = relative;
    return new Date(now.getTime() - Number(amount) * (UNIT_MS[unit] ?? 0));
  }
  // Date.parse takes many forms; only ISO 8601 (a date, optionally a time) is promised.
  const parsed = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(parsed)) {
    throw new Error(
      `'${text}' is not a time: use ISO 8601 (2026-11-24T09:30:00Z) or a relative one (-1h, -30m, -2d)`,
    );
  }
  return new Date(parsed);
}
