import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item, TableRead } from '../../test/fixtures/memory-store.js';

/**
 * DynamoDB's documented size and capacity rules, so the benchmarks compute what a real table would charge (moto
 * returns a fixed ConsumedCapacity, NOTES.md item 15). The rules and their sources: docs/costs.md ("DynamoDB
 * size and capacity rules").
 */
export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;

const utf8 = new TextEncoder();
export const utf8Bytes = (text: string): number => utf8.encode(text).length;

/** Bytes of a DynamoDB number: one per two significant digits, plus one. */
export function numberBytes(text: string): number {
  const mantissa = (text.trim().replace(/^[-+]/, '').split(/e/i)[0] ?? '').replace('.', '');
  const significant = mantissa.replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(significant.length / 2) + 1;
}

/** Bytes of one attribute value, without its name. */
export function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Bytes(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, text) => sum + utf8Bytes(text), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, text) => sum + numberBytes(text), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, bytes) => sum + bytes.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 0);
  if (value.M !== undefined) {
    return (
      3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + attributeBytes(name, element), 0)
    );
  }
  throw new Error(`unsupported attribute value: ${JSON.stringify(value)}`);
}

export function attributeBytes(name: string, value: AttributeValue): number {
  return utf8Bytes(name) + valueBytes(value);
}

/** The item size DynamoDB bills by: the sum of its attribute names and values. */
export function itemBytes(item: Item): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + attributeBytes(name, value), 0);
}

/** Write request units for one item (or index entry) of `bytes`: 1 per KB, rounded up, at least 1. */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}

export type Consistency = 'eventual' | 'strong';

/** Read request units for one read of `bytes` (a whole Query, or one BatchGetItem item). */
export function readUnits(bytes: number, consistency: Consistency = 'eventual'): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistency === 'eventual' ? units / 2 : units;
}

/** One billed write: a table item. */
export interface WriteCost {
  readonly what: string;
  readonly bytes: number;
  readonly wru: number;
}

/** What writing `items` to the events table costs, one line per item. `label` names an item (by key prefix). */
export function tableWriteCosts(items: readonly Item[], label: (item: Item) => string): WriteCost[] {
  return items.map((item) => {
    const bytes = itemBytes(item);
    return { what: label(item), bytes, wru: writeUnits(bytes) };
  });
}

export const totalWru = (costs: readonly WriteCost[]): number =>
  costs.reduce((sum, cost) => sum + cost.wru, 0);

/** Read units one lookup consumed, by operation. */
export interface ReadMeter {
  queries: number;
  queryRru: number;
  queryItems: number;
  catalogQueries: number;
  catalogRru: number;
  batchGetItems: number;
  batchGetRru: number;
}

export const emptyMeter = (): ReadMeter => ({
  queries: 0,
  queryRru: 0,
  queryItems: 0,
  catalogQueries: 0,
  catalogRru: 0,
  batchGetItems: 0,
  batchGetRru: 0,
});

export const meterTotal = (meter: ReadMeter): number => meter.queryRru + meter.catalogRru + meter.batchGetRru;

const readBytes = (items: readonly Item[]): number => items.reduce((sum, item) => sum + itemBytes(item), 0);

/** Adds what a read costs, eventually consistent (rules in docs/costs.md). */
export function meterRead(meter: ReadMeter, read: TableRead): void {
  if (read.operation === 'get') {
    meter.batchGetItems += 1;
    meter.batchGetRru += readUnits(read.item ? itemBytes(read.item) : 0);
  } else if (read.operation === 'catalog') {
    meter.catalogQueries += 1;
    meter.catalogRru += readUnits(readBytes(read.items));
  } else {
    meter.queries += 1;
    meter.queryItems += read.items.length;
    meter.queryRru += readUnits(readBytes(read.items));
  }
}
