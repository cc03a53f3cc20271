import fs from 'node:fs';
import net from 'node:net';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable, startDovecot, type DovecotInstance } from '../support/dovecot.ts';

const RAW = [
  'From: Kari Nordmann <kari@kunde.example>',
  'To: post@infracomfort.example',
  'Subject: Test av innboks',
  'Message-ID: <rig-1@kunde.example>',
  'Date: Mon, 6 Nov 2023 10:00:00 +0100',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  '',
  'Hei, æøå fungerer.',
  '',
].join('\r\n');

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 1000);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

async function withClient<T>(dc: DovecotInstance, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = new ImapFlow({ ...dc.clientOptions(), disableAutoIdle: true });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.logout().catch(() => c.close());
  }
}

describe('dovecot test peer', () => {
  let dc: DovecotInstance;
  beforeAll(async () => {
    dc = await startDovecot({
      users: [
        { user: 'post@infracomfort.example', password: 'secret' },
        { user: 'other@infracomfort.example', password: 'pw2' },
      ],
    });
  }, 20_000);
  afterAll(async () => {
    await dc?.stop();
  }, 20_000);

  it('appends and fetches a message over IMAP', async () => {
    const res = await dc.append('post@infracomfort.example', 'INBOX', RAW, ['\\Seen']);
    expect(res.uid).toBeGreaterThan(0);
    await withClient(dc, async (c) => {
      expect(c.capabilities.has('IDLE')).toBe(true);
      expect(c.capabilities.has('UIDPLUS')).toBe(true);
      const lock = await c.getMailboxLock('INBOX');
      try {
        const msg = await c.fetchOne(String(res.uid), { source: true, flags: true, envelope: true }, { uid: true });
        expect(msg).toBeTruthy();
        if (!msg) return;
        expect(msg.envelope?.messageId).toBe('<rig-1@kunde.example>');
        expect(msg.flags?.has('\\Seen')).toBe(true);
        expect(msg.source?.toString('utf8')).toContain('Hei, æøå fungerer.');
      } finally {
        lock.release();
      }
    });
  }, 20_000);

  it('creates a missing mailbox on append and keeps users apart', async () => {
    const res = await dc.append('other@infracomfort.example', 'Kunder', Buffer.from(RAW));
    expect(res.uid).toBe(1);
    const c = new ImapFlow({ ...dc.clientOptions('other@infracomfort.example'), disableAutoIdle: true });
    c.on('error', () => undefined);
    await c.connect();
    const st = await c.status('INBOX', { messages: true });
    expect(st && st.messages).toBe(0);
    await c.logout();
    expect(dc.env('other@infracomfort.example')).toMatchObject({
      IMAP_HOST: '127.0.0.1',
      IMAP_PORT: String(dc.port),
      IMAP_USER: 'other@infracomfort.example',
      IMAP_PASSWORD: 'pw2',
    });
  }, 20_000);

  it('changes UIDVALIDITY when a mailbox is re-created (folder and INBOX)', async () => {
    await dc.append('post@infracomfort.example', 'Archive', RAW);
    const archive = await dc.recreateMailbox('post@infracomfort.example', 'Archive');
    expect(archive.after).not.toBe(archive.before);

    await dc.append('post@infracomfort.example', 'INBOX', RAW);
    const inbox = await dc.recreateMailbox('post@infracomfort.example', 'INBOX');
    expect(inbox.after).not.toBe(inbox.before);

    await withClient(dc, async (c) => {
      const a = await c.status('Archive', { messages: true, uidValidity: true });
      const i = await c.status('INBOX', { messages: true, uidValidity: true });
      expect(a && a.messages).toBe(0);
      expect(a && a.uidValidity).toBe(archive.after);
      expect(i && i.messages).toBe(0);
      expect(i && i.uidValidity).toBe(inbox.after);
    });
    // Appending again still works (and the cached admin connection survived).
    const again = await dc.append('post@infracomfort.example', 'INBOX', RAW);
    expect(again.uidValidity).toBe(inbox.after);
  }, 20_000);

  it('rejects a wrong password', async () => {
    const c = new ImapFlow({ ...dc.clientOptions(), auth: { user: 'post@infracomfort.example', pass: 'wrong' } });
    c.on('error', () => undefined);
    await expect(c.connect()).rejects.toThrow();
    c.close();
  }, 20_000);
});

describe('dovecot lifecycle', () => {
  it('runs several instances in parallel and stop() frees port and dir', async () => {
    const all = await Promise.all([startDovecot(), startDovecot(), startDovecot()]);
    try {
      expect(new Set(all.map((d) => d.port)).size).toBe(3);
      expect(new Set(all.map((d) => d.dir)).size).toBe(3);
      await Promise.all(all.map((d, i) => d.append(d.users[0].user, 'INBOX', RAW.replace('rig-1', `par-${i}`))));
    } finally {
      await Promise.all(all.map((d) => d.stop()));
    }
    for (const d of all) {
      expect(fs.existsSync(d.dir)).toBe(false);
      expect(await portOpen(d.port)).toBe(false);
    }
    await all[0].stop(); // idempotent
  }, 30_000);

  it('finds the dovecot binary (and reports a missing one as undefined)', () => {
    expect(findExecutable('dovecot')).toMatch(/dovecot$/);
    expect(findExecutable('no-such-binary-mailroom')).toBeUndefined();
  });
});
