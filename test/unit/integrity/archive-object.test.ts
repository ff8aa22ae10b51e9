import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ArchiveObjectRefusedError,
  summariseArchiveObject,
} from '../../../lambda/core/integrity/archive-object.js';

const lines = ['2026-12-02T00:30:00Z', '2026-12-02T00:05:00Z', '2026-12-02T00:55:00Z']
  .map(
    (eventTime, index) =>
      `${JSON.stringify({ eventID: `e${index}`, requestParameters: { eventTime: '1999-01-01T00:00:00Z' }, eventTime })}\n`,
  )
  .join('');
const member = gzipSync(lines);

/** The object in pieces of `size` bytes, as a stream delivers it. */
async function* pieces(body: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < body.length; offset += size) yield body.subarray(offset, offset + size);
}

describe('an archive object', () => {
  it.each([1, 7, 4096, 1 << 20])(
    'hashes the inflated member and reads the event times in %i-byte pieces',
    async (size) => {
      // Act
      const summary = await summariseArchiveObject(pieces(member, size));

      // Assess: the top-level eventTime, never a nested one.
      expect(summary).toEqual({
        hashValue: createHash('sha256').update(lines).digest('hex'),
        inflatedBytes: Buffer.byteLength(lines),
        newestEventTime: '2026-12-02T00:55:00Z',
        oldestEventTime: '2026-12-02T00:05:00Z',
      });
    },
  );

  it('reads a member whose header carries a file name and a header CRC', async () => {
    // Prepare: FNAME (0x08) and FHCRC (0x02) set by hand, name "a.json\0", CRC-16 of the header (unchecked by zlib's
    // default; any two bytes stand in).
    const header = Buffer.from([0x1f, 0x8b, 0x08, 0x0a, 0, 0, 0, 0, 0, 0xff]);
    const named = Buffer.concat([
      header,
      Buffer.from('a.json\0'),
      Buffer.from([0x12, 0x34]),
      member.subarray(10),
    ]);

    // Act
    const summary = await summariseArchiveObject(pieces(named, 3));

    // Assess
    expect(summary.hashValue).toBe(createHash('sha256').update(lines).digest('hex'));
  });

  it.each([
    [
      'a second member',
      Buffer.concat([member, gzipSync('{"eventTime":"2026-12-02T00:00:00Z"}\n')]),
      /\d+ bytes follow the first gzip member/,
    ],
    ['one trailing zero byte', Buffer.concat([member, Buffer.from([0])]), /1 bytes follow/],
    ['a cut-off trailer', member.subarray(0, member.length - 3), /truncated/],
    [
      'a wrong CRC',
      Buffer.concat([member.subarray(0, -8), Buffer.alloc(4), member.subarray(-4)]),
      /CRC-32 or size/,
    ],
    ['no gzip at all', Buffer.from(lines), /not a gzip member/],
  ])('refuses an object with %s', async (_name, body, reason) => {
    // Act
    const summary = summariseArchiveObject(pieces(body, 5));

    // Assess
    await expect(summary).rejects.toBeInstanceOf(ArchiveObjectRefusedError);
    await expect(summariseArchiveObject(pieces(body, 5))).rejects.toThrow(reason);
  });

  it('hashes lines that are no records without reading times from them', async () => {
    // Act
    const summary = await summariseArchiveObject(pieces(gzipSync('not json\n{"eventTime":42}\n'), 64));

    // Assess
    expect(summary.newestEventTime).toBeUndefined();
    expect(summary.oldestEventTime).toBeUndefined();
  });
});
