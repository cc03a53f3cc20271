import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot } from '../support/dovecot.ts';
import { getFreePort, waitForPort } from '../support/free-port.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/** A line-echo server: answers every chunk with "echo:<chunk>". */
async function startEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d) => s.write(`echo:${d.toString()}`));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

interface Client {
  sock: net.Socket;
  received(): string;
  waitFor(text: string, ms?: number): Promise<void>;
  closed: Promise<{ error?: NodeJS.ErrnoException }>;
}

function connect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let error: NodeJS.ErrnoException | undefined;
    const sock = net.connect({ host: '127.0.0.1', port });
    const closed = new Promise<{ error?: NodeJS.ErrnoException }>((r) => sock.on('close', () => r({ error })));
    sock.on('data', (d) => (buf += d.toString()));
    sock.on('error', (e) => {
      error = e;
      reject(e);
    });
    sock.once('connect', () =>
      resolve({
        sock,
        received: () => buf,
        closed,
        waitFor: async (text, ms = 2000) => {
          const deadline = Date.now() + ms;
          while (!buf.includes(text)) {
            if (Date.now() > deadline) throw new Error(`did not receive ${JSON.stringify(text)}; got ${JSON.stringify(buf)}`);
            await new Promise((r) => setTimeout(r, 10));
          }
        },
      }),
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tcp proxy', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let proxy: TcpProxy;
  beforeAll(async () => {
    echo = await startEcho();
    proxy = await startTcpProxy(echo.port);
  });
  afterAll(async () => {
    await proxy?.stop();
    await echo?.close();
  });

  it('passes bytes both ways and lists connections', async () => {
    proxy.setMode('pass');
    const c = await connect(proxy.port);
    c.sock.write('hello');
    await c.waitFor('echo:hello');
    expect(proxy.connections()).toHaveLength(1);
    expect(proxy.connections()[0]).toMatchObject({ bytesUp: 5, bytesDown: 10 });
    c.sock.destroy();
    await c.closed;
    await sleep(50);
    expect(proxy.connections()).toHaveLength(0);
  });

  it('blackhole: sockets stay open, nothing flows; pass again delivers what was held', async () => {
    proxy.setMode('pass');
    const c = await connect(proxy.port);
    c.sock.write('one');
    await c.waitFor('echo:one');
    proxy.setMode('blackhole');
    c.sock.write('two');
    const fresh = await connect(proxy.port); // accepted while blackholed
    fresh.sock.write('three');
    await sleep(300);
    expect(c.received()).toBe('echo:one');
    expect(fresh.received()).toBe('');
    expect(c.sock.destroyed).toBe(false);
    expect(fresh.sock.destroyed).toBe(false);
    proxy.setMode('pass');
    await c.waitFor('echo:two');
    await fresh.waitFor('echo:three');
    c.sock.destroy();
    fresh.sock.destroy();
  });

  it('reset: current connections get an RST, new ones too; pass again accepts', async () => {
    proxy.setMode('pass');
    const c = await connect(proxy.port);
    c.sock.write('x');
    await c.waitFor('echo:x');
    proxy.setMode('reset');
    const { error } = await c.closed;
    expect(error?.code).toBe('ECONNRESET');
    expect(proxy.connections()).toHaveLength(0);

    const refused = await new Promise<string | undefined>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: proxy.port });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
      s.on('close', () => resolve(undefined));
      s.on('data', () => resolve('data'));
      s.setTimeout(2000, () => {
        s.destroy();
        resolve('timeout');
      });
    });
    expect(refused).toBe('ECONNRESET');

    proxy.setMode('pass');
    const again = await connect(proxy.port);
    again.sock.write('back');
    await again.waitFor('echo:back');
    again.sock.destroy();
    expect(proxy.acceptedCount()).toBeGreaterThanOrEqual(3);
  });
});

describe('tcp proxy in front of Dovecot', () => {
  it('an IMAP client notices reset, hangs on blackhole until its timeout, and reconnects on pass', async () => {
    const dc = await startDovecot();
    const proxy = await startTcpProxy(dc.port);
    try {
      const opts = { ...dc.clientOptions(), port: proxy.port, disableAutoIdle: true };
      const c1 = new ImapFlow(opts);
      const c1Closed = new Promise<void>((r) => c1.on('close', () => r()));
      c1.on('error', () => undefined);
      await c1.connect();
      await c1.noop();
      proxy.setMode('reset');
      await c1Closed;
      expect(c1.usable).toBe(false);

      proxy.setMode('blackhole');
      const c2 = new ImapFlow({ ...opts, greetingTimeout: 500, connectionTimeout: 1000 });
      c2.on('error', () => undefined);
      await expect(c2.connect()).rejects.toThrow();
      c2.close();

      proxy.setMode('pass');
      const c3 = new ImapFlow(opts);
      c3.on('error', () => undefined);
      await c3.connect();
      const st = await c3.status('INBOX', { messages: true });
      expect(st && st.messages).toBe(0);
      await c3.logout();
    } finally {
      await proxy.stop();
      await dc.stop();
    }
  }, 30_000);
});

describe('free port', () => {
  it('returns a bindable loopback port, and waitForPort times out on a closed one', async () => {
    const port = await getFreePort();
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
    await waitForPort(port, 1000);
    await new Promise<void>((r) => srv.close(() => r()));
    await expect(waitForPort(port, 200)).rejects.toThrow(/did not accept/);
  });
});
