import type { TrailRecord } from '../generated/schema-types.js';

/** Who, as lookups by Username match it: userName, else principalId. */
const userOf = (record: TrailRecord) => record.userIdentity.userName ?? record.userIdentity.principalId ?? '';

const COLUMNS: readonly (readonly [string, (record: TrailRecord) => string])[] = [
  ['TIME', (record) => record.eventTime],
  ['SOURCE', (record) => record.eventSource],
  ['NAME', (record) => record.eventName],
  ['USER', userOf],
  ['CLIENT', (record) => record.clientType ?? ''],
  ['ERROR', (record) => record.errorCode ?? ''],
  ['EVENT ID', (record) => record.eventID],
];

const WIDEST = 40;
const cell = (text: string) => (text.length > WIDEST ? `${text.slice(0, WIDEST - 1)}…` : text);

/** A plain text table, columns as wide as their widest cell (capped), for people reading a terminal. */
export function table(records: readonly TrailRecord[]): string {
  const rows = [
    COLUMNS.map(([title]) => title),
    ...records.map((record) => COLUMNS.map(([, read]) => cell(read(record)))),
  ];
  const widths = COLUMNS.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows
    .map((row) =>
      row
        .map((text, column) => text.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
