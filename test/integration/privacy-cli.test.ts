// The privacy CLI as staff use it when Slack is off: cases from imported requests, their
// details, extension with reasons, the staff copy of an access package, and refusals that
// say why in one line.
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, expectCleanFailure, projectRoot } from '../support/cli-runner.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedFixtureCompany } from '../support/filing-harness.ts';

let db: TestDatabase;
let dataDir: string;
const cli = (...args: string[]) => runCli({ databaseUrl: db.url, dataDir }, ...args);

beforeAll(async () => {
  db = await createTestDatabase();
  await seedFixtureCompany(db.orm);
  dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-privacy-cli-'));
  for (const f of ['03-privacy-access-nb.eml', '04-privacy-erasure-en.eml']) {
    const r = await cli('import', path.join(projectRoot, 'test/fixtures/mail', f), '--json');
    expect(r.code, r.stderr).toBe(0);
  }
});
afterAll(async () => {
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('mailroom privacy', () => {
  it('list --json shows one case per request with its rights and due date', async () => {
    const r = await cli('privacy', 'list', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toHaveLength(2);
    for (const c of r.json) {
      expect(c).toMatchObject({ id: expect.stringMatching(/^PRV-\d{6}$/), state: expect.any(String), dueDate: expect.anything() });
    }
    expect(r.json.map((c: { rights: string }) => c.rights).join(' ')).toMatch(/access/);
    expect(r.json.map((c: { rights: string }) => c.rights).join(' ')).toMatch(/erasure/);
  });

  it('show --json gives the rights and the audit trail; an unknown case is one clean line', async () => {
    const [first] = (await cli('privacy', 'list', '--json')).json;
    const r = await cli('privacy', 'show', first.id, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.stringify(r.json)).toContain(first.id);
    expectCleanFailure(await cli('privacy', 'show', 'PRV-999999'), /PRV-999999/);
  });

  it('extend needs reasons; with them the due date moves later; a case whose sender is not on file cannot be extended', async () => {
    const cases = (await cli('privacy', 'list', '--json')).json as { id: string; rights: string; dueDate: string }[];
    const access = cases.find((c) => /access/.test(c.rights))!;
    const erasure = cases.find((c) => /erasure/.test(c.rights))!;
    expectCleanFailure(await cli('privacy', 'extend', access.id, '--as', 'Ada'), /reason/);
    const r = await cli('privacy', 'extend', access.id, '--as', 'Ada', '--reason', 'Mange systemer må gjennomgås', '--months', '1', '--json');
    expect(r.code, r.stderr).toBe(0);
    const after = (await cli('privacy', 'list', '--json')).json.find((x: { id: string }) => x.id === access.id);
    expect(new Date(after.dueDate).getTime()).toBeGreaterThan(new Date(access.dueDate).getTime());
    // Fixture 04 comes from an address not on file: nothing can be sent to it, not even an extension.
    expectCleanFailure(await cli('privacy', 'extend', erasure.id, '--as', 'Ada', '--reason', 'x'), /not on file/);
  });

  it('export --email prints the staff copy of the access package, and writes the HTML when asked', async () => {
    const html = path.join(dataDir, 'package.html');
    const r = await cli('privacy', 'export', '--email', 'kari.nordmann@fjordvarme.example', '--html', html);
    expect(r.code, r.stderr).toBe(0);
    const pkg = JSON.stringify(r.json);
    expect(pkg).toContain('kari.nordmann@fjordvarme.example');
    expect(pkg).toContain('Fjordvarme AS');
    expect(existsSync(html)).toBe(true);
    expect(readFileSync(html, 'utf8')).toContain('Datatilsynet');
  });

  it('approve is refused while the person has not confirmed the verification link: nothing leaves before that', async () => {
    const cases = (await cli('privacy', 'list', '--json')).json as { id: string; rights: string }[];
    const access = cases.find((c) => /access/.test(c.rights))!;
    expectCleanFailure(await cli('privacy', 'approve', access.id, '--as', 'Ada'), new RegExp(`nothing of ${access.id} waits for approval`));
  });
});
