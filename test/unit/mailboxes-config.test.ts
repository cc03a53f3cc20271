/**
 * Issue 20.1: `mailboxes:` in config/mailroom.yaml, resolved and validated at start-up. Secrets
 * come from the environment by variable name; a bad entry is named by its key.
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/config/load-config.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'mailroom-mailboxes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function configWith(yaml: string, env: Record<string, string> = {}) {
  const file = path.join(dir, `c${n++}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig({ MAILROOM_CONFIG: file, MAILROOM_DATA_DIR: dir, MAIL_FROM: 'bot@fjelltak.example', ...env });
}
function problem(yaml: string, env: Record<string, string> = {}): string {
  try {
    configWith(yaml, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const TWO = `
mailboxes:
  - name: kundeservice
    host: imap.fjelltak.example
    user: kundeservice@fjelltak.example
    passwordEnv: IMAP_KUNDESERVICE_PASSWORD
    defaultQueue: support
    ackFrom: '"Fjelltak kundeservice" <kundeservice@fjelltak.example>'
  - name: salg
    host: imap.fjelltak.example
    port: 143
    user: salg@fjelltak.example
    passwordEnv: IMAP_SALES_PASSWORD
    defaultQueue: sales
    ackFrom: salg@fjelltak.example
    replyTo: Salgsavdelingen <selgere@fjelltak.example>
    afterFiling: move
    moveTo: Behandlet
`;

describe('mailboxes: in config/mailroom.yaml', () => {
  it('resolves each entry with its own login, queue, sender and after-filing action', () => {
    const c = configWith(TWO, { IMAP_KUNDESERVICE_PASSWORD: 'pw-kunde', IMAP_SALES_PASSWORD: 'pw-salg' });
    expect(c.mailboxes).toHaveLength(2);
    const [a, b] = c.mailboxes;
    expect(a).toMatchObject({ name: 'kundeservice', key: 'mailboxes[0]', host: 'imap.fjelltak.example', port: 993, secure: true, folder: 'INBOX', defaultQueue: 'support', afterFiling: 'keep', keyword: '$Mailroom' });
    expect(a!.credentials).toMatchObject({ kind: 'password', password: 'pw-kunde', from: 'IMAP_KUNDESERVICE_PASSWORD' });
    expect(a!.ackFrom).toEqual({ name: 'Fjelltak kundeservice', address: 'kundeservice@fjelltak.example' });
    expect(b).toMatchObject({ name: 'salg', port: 143, secure: false, defaultQueue: 'sales', afterFiling: 'move', moveTo: 'Behandlet' });
    expect(b!.ackFrom).toEqual({ name: '', address: 'salg@fjelltak.example' }); // the queue sender's name is kept at filing
    expect(b!.replyTo).toEqual({ name: 'Salgsavdelingen', address: 'selgere@fjelltak.example' });
  });

  it('names the entry whose password variable is not set, never a secret', () => {
    expect(problem(TWO, { IMAP_KUNDESERVICE_PASSWORD: 'pw-kunde' })).toMatch(/mailboxes\[1\]\.passwordEnv: IMAP_SALES_PASSWORD is not set$/);
  });

  it('refuses a secret written into the YAML where a variable name belongs', () => {
    const m = problem(TWO.replace('IMAP_SALES_PASSWORD', 'hunter2 !'), { IMAP_KUNDESERVICE_PASSWORD: 'x' });
    expect(m).toMatch(/mailboxes\[1\]\.passwordEnv: must be the NAME of an environment variable/);
    expect(m).not.toContain('hunter2');
  });

  it('names other bad keys: sender, queue, unknown key, missing login, duplicates', () => {
    const env = { IMAP_KUNDESERVICE_PASSWORD: 'a', IMAP_SALES_PASSWORD: 'b' };
    expect(problem(TWO.replace('ackFrom: salg@fjelltak.example', 'ackFrom: "salg, selgere"'), env)).toMatch(/mailboxes\[1\]\.ackFrom: must be one mailbox, not a list/);
    expect(problem(TWO.replace('defaultQueue: sales', 'defaultQueue: marketing'), env)).toMatch(/mailboxes\[1\]\.defaultQueue:/);
    expect(problem(TWO.replace('    moveTo: Behandlet', '    moveTo: Behandlet\n    pasword: x'), env)).toMatch(/mailboxes\[1\]\.pasword: unknown key/);
    expect(problem(TWO.replace('    passwordEnv: IMAP_SALES_PASSWORD\n', ''), env)).toMatch(/mailboxes\[1\]\.passwordEnv: is required: the name of the environment variable holding salg@fjelltak\.example's password/);
    expect(problem(TWO.replace('name: salg', 'name: kundeservice'), env)).toMatch(/mailboxes\[1\]\.name: "kundeservice" is already the name of mailboxes\[0\]/);
    expect(problem(TWO.replace('user: salg@fjelltak.example', 'user: kundeservice@fjelltak.example').replace('port: 143', 'port: 993'), env)).toMatch(/mailboxes\[1\]\.folder: INBOX of kundeservice@fjelltak\.example is already read by mailboxes\[0\]/);
    expect(problem('mailboxes:\n  - name: post\n')).toMatch(/mailboxes\[0\]\.host: is required \(or set IMAP_HOST/);
  });

  it('a folder of the IMAP_* account takes that account and its login', () => {
    const c = configWith('mailboxes:\n  - { name: post, folder: INBOX }\n  - { name: personvern, folder: Personvern, defaultQueue: triage }\n', {
      IMAP_HOST: '127.0.0.1',
      IMAP_PORT: '1143',
      IMAP_USER: 'post@fjelltak.example',
      IMAP_PASSWORD: 'pw',
    });
    expect(c.mailboxes.map((m) => [m.name, m.folder, m.user, m.port, m.secure, m.credentials.kind, m.defaultQueue])).toEqual([
      ['post', 'INBOX', 'post@fjelltak.example', 1143, false, 'password', 'support'],
      ['personvern', 'Personvern', 'post@fjelltak.example', 1143, false, 'password', 'triage'],
    ]);
  });

  it('without mailboxes: the IMAP_* variables are the one mailbox, named after its folder as before', () => {
    const c = configWith('routing:\n  defaultQueue: triage\n', { IMAP_HOST: '127.0.0.1', IMAP_USER: 'post@fjelltak.example', IMAP_PASSWORD: 'pw', IMAP_MAILBOX: 'Innboks' });
    expect(c.mailboxes).toHaveLength(1);
    expect(c.mailboxes[0]).toMatchObject({ name: 'Innboks', folder: 'Innboks', key: 'IMAP_*', port: 993, secure: true, defaultQueue: 'triage' });
    expect(c.mailboxes[0]!.ackFrom).toBeUndefined(); // the queues' senders answer
    expect(configWith('').mailboxes).toEqual([]);
  });

});
