/**
 * Whether date and time fields (month 1-12) name a real instant. Date.parse rolls 2026-11-31 over to 1 December
 * and reads T24:00 as the next midnight; an eventTime or a lookup bound must mean what it says, so neither is taken.
 */
export function isCalendarDateTime(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60
  );
}
