import { describe, expect, it } from 'vitest';
import {
  itemBytes,
  numberBytes,
  readUnits,
  tableWriteCosts,
  totalWru,
  writeUnits,
} from '../../../bench/support/capacity.js';

describe('DynamoDB size rules', () => {
  it('counts one byte per two significant digits plus one when sizing numbers', () => {
    // Act / Assess
    expect(numberBytes('1')).toBe(2);
    expect(numberBytes('12')).toBe(2);
    expect(numberBytes('123')).toBe(3);
    expect(numberBytes('1764000000')).toBe(3); // trailing zeros trimmed: 1764 -> 2 + 1
    expect(numberBytes('1771234567')).toBe(6); // an expiresAt: 10 digits -> 5 + 1
    expect(numberBytes('-0.00125')).toBe(3); // leading zeros and sign trimmed: 125
    expect(numberBytes('0')).toBe(1);
  });

  it('sums attribute names and values when sizing an item', () => {
    // Prepare
    const item = {
      pk: { S: 'E#ABCD#0' }, // 2 + 8
      ok: { BOOL: true }, // 2 + 1
      n: { N: '12345' }, // 1 + 4
      m: { M: { a: { S: 'xy' } } }, // 1 + 3 + (1 + 1 + 2)
      l: { L: [{ S: 'é' }, { NULL: true }] }, // 1 + 3 + (1 + 2) + (1 + 1)
    };

    // Act
    const bytes = itemBytes(item);

    // Assess
    expect(bytes).toBe(10 + 3 + 5 + 8 + 9);
  });

  it('sizes a Binary attribute by its byte length, as the encoded record is stored', () => {
    // Prepare: the bytes, not their base64 form (which would be a third longer).
    const record = new Uint8Array(700);

    // Act
    const bytes = itemBytes({ record: { B: record } });

    // Assess
    expect(bytes).toBe('record'.length + 700);
    expect(writeUnits(bytes)).toBe(1);
  });

  it('rounds writes up per KB and reads per 4 KB, halving eventually consistent reads', () => {
    // Act / Assess
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(readUnits(0)).toBe(0.5);
    expect(readUnits(4096)).toBe(0.5);
    expect(readUnits(4097)).toBe(1);
    expect(readUnits(4097, 'strong')).toBe(2);
  });
});

describe('tableWriteCosts', () => {
  it('charges each table item by its own size (the table has no index entries to add)', () => {
    // Prepare
    const eventItem = { pk: { S: 'E#ABCD#0' }, sk: { S: 'X'.repeat(26) }, record: { S: 'r'.repeat(1100) } };
    const resourceItem = { pk: { S: 'RT#0#Type' }, sk: { S: 'X'.repeat(26) } };

    // Act
    const costs = tableWriteCosts([eventItem, resourceItem], (item) => item.pk?.S ?? '');

    // Assess
    expect(costs.map((cost) => [cost.what, cost.wru])).toEqual([
      ['E#ABCD#0', 2],
      ['RT#0#Type', 1],
    ]);
    expect(costs[1]?.bytes).toBe(2 + 9 + 2 + 26);
    expect(totalWru(costs)).toBe(3);
  });
});
