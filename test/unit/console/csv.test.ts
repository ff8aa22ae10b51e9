import { describe, expect, it } from 'vitest';
import { CSV_HEADER, csvCell, csvRecord } from '../../../console/src/csv.js';

describe('console CSV', () => {
  it.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
  ])('neutralises %j, which a spreadsheet would run as a formula', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it('quotes cells holding commas, quotes or line breaks, and leaves plain ones alone', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('DeleteOrder')).toBe('DeleteOrder');
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('writes every column for a record, several resources in one cell', () => {
    // Prepare
    const record = {
      eventID: '01J0000000000000000000000A',
      eventTime: '2026-11-05T12:00:00Z',
      eventName: 'DeleteOrder',
      eventSource: 'orders.example.com',
      readOnly: false,
      clientType: 'sdk',
      userIdentity: { userName: '=cmd', accessKeyId: 'AKIA1' },
      resources: [
        { ARN: 'arn:x:o/1', type: 'Order' },
        { ARN: 'arn:x:o/2', type: 'Order' },
      ],
    };

    // Act and assess
    expect(CSV_HEADER).toBe(
      'Event time,User name,Event name,Resource type,Resource name,Event source,Client type,Read only,Error code,Source IP address,Access key,Event ID\r\n',
    );
    expect(csvRecord(record)).toBe(
      "2026-11-05T12:00:00Z,'=cmd,DeleteOrder,Order,arn:x:o/1; arn:x:o/2,orders.example.com,sdk,false,,,AKIA1,01J0000000000000000000000A\r\n",
    );
  });
});
