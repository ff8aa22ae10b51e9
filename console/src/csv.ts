import { COLUMNS, type ConsoleRecord } from './record.js';

/**
 * CSV for spreadsheets (RFC 4180, CRLF). A cell a spreadsheet would read as a formula (starting with =, +, -, @,
 * tab or CR: OWASP's CSV injection list) gets a leading apostrophe, which spreadsheets show as text.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export const csvRow = (cells: readonly string[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/** Every column, whatever the table shows, so a download has the same shape each time; several values joined by '; '. */
export const CSV_HEADER = csvRow(COLUMNS.map((column) => column.label));

export const csvRecord = (record: ConsoleRecord): string =>
  csvRow(COLUMNS.map((column) => column.values(record).join('; ')));
