import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { decodeTable, detectDelimiter, readCsv } from '../../src/table-import/read-table.ts';
import { parseTriageRef } from '../../src/tasks/triage-routes.ts';
import { rowIdFromRef } from '../../src/cli/refs.ts';
import { approvalLifetimeMs, tasksConfigSchema } from '../../src/tasks/task-expiry.ts';

describe('reading tables', () => {
  it('encoding from the bytes: BOMs, UTF-8, else Windows-1252 with a warning', () => {
    expect(decodeTable(Buffer.from('\uFEFFnavn;by\nÅse;Bø\n', 'utf8'))).toMatchObject({ text: 'navn;by\nÅse;Bø\n', encoding: 'utf-8', warnings: [] });
    expect(decodeTable(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode('navn\tby\nÅse\tBø\n', 'utf-16le')]))).toMatchObject({ text: 'navn\tby\nÅse\tBø\n', encoding: 'utf-16le' });
    const cp = decodeTable(iconv.encode('navn;by\nÆrlig Øvre;Ås\n', 'windows-1252'));
    expect(cp.text).toBe('navn;by\nÆrlig Øvre;Ås\n');
    expect(cp.warnings[0]).toMatch(/not UTF-8; read as windows-1252/);
  });

  it('separator from the header line, quotes respected', () => {
    expect(detectDelimiter('E-post;Navn;Språk')).toBe(';');
    expect(detectDelimiter('email,name')).toBe(',');
    expect(detectDelimiter('"Etternavn, fornavn";epost')).toBe(';');
    expect(detectDelimiter('email\tname')).toBe('\t');
    expect(detectDelimiter('email')).toBe(',');
  });

  it('a short row has empty cells; a long row is a problem on its line; blank separator lines are ignored', () => {
    const t = readCsv('a;b;c\n1;2;3\n4\n5;6;7;8\n;;\n9;10;11;\n');
    expect(t.columns).toEqual(['a', 'b', 'c']);
    expect(t.rows.map((r) => [r.line, r.fields])).toEqual([
      [2, { a: '1', b: '2', c: '3' }],
      [3, { a: '4', b: undefined, c: undefined }],
      [6, { a: '9', b: '10', c: '11' }],
    ]);
    expect(t.problems).toEqual([{ line: 4, message: expect.stringMatching(/^has 4 fields where the header has 3/) }]);
  });
});

describe('refs as lists print them', () => {
  it('triage items by id or TRIAGE-n', () => {
    expect(['7', 'TRIAGE-7', 'triage-000007', '#7', ' 7 '].map(parseTriageRef)).toEqual(['7', '7', '7', '7', '7']);
    expect(['T-7', 'SUP-000007', '', 'TRIAGE-'].map(parseTriageRef)).toEqual([null, null, null, null]);
  });

  it('row ids by id, #id or PREFIX-n', () => {
    expect(rowIdFromRef('#12')).toBe('12');
    expect(rowIdFromRef('CAMPAIGN-000012', 'CAMPAIGN')).toBe('12');
    expect(rowIdFromRef('campaign-3', 'CAMPAIGN')).toBe('3');
    expect(rowIdFromRef('SUP-3', 'CAMPAIGN')).toBeNull();
    expect(rowIdFromRef('12x')).toBeNull();
  });
});

describe('approval expiry', () => {
  const actions = { canExpire: (k: string) => k === 'broadcast' || k === 'notice' };
  it('only actions that say what expiry means expire, after the configured hours; 0 means never', () => {
    const config = tasksConfigSchema.parse({ approvalsExpireAfterHours: 2 });
    expect(approvalLifetimeMs(config, actions, 'broadcast')).toBe(2 * 3600_000);
    expect(approvalLifetimeMs(config, actions, 'erasure')).toBeNull();
    expect(approvalLifetimeMs(tasksConfigSchema.parse({ approvalsExpireAfterHours: 0 }), actions, 'broadcast')).toBeNull();
    expect(tasksConfigSchema.parse(undefined)).toEqual({ approvalsExpireAfterHours: 168, expiryCheckCron: '*/5 * * * *' });
    expect(tasksConfigSchema.safeParse({ expiryCheckCron: 'hourly' }).success).toBe(false);
  });
});
