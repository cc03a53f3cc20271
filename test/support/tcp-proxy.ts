/**
 * A TCP proxy on 127.0.0.1 in front of a target port, with switchable faults:
 *
 *  - 'pass'      forward bytes both ways (the default);
 *  - 'reset'     destroy every current connection with a TCP RST now, and answer every new
 *                connection with an RST right after accepting it (the client sees ECONNRESET);
 *  - 'blackhole' keep sockets open but forward nothing in either direction (reading is paused,
 *                so bytes wait in kernel buffers as on a broken network path); new connections are
 *                accepted but nothing flows. Closes are not passed on either.
 *
 * Switching back to 'pass' resumes forwarding on the connections that survived (bytes held
 * during a black hole are then delivered, like a network that heals) and passes on any close
 * that happened meanwhile.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export type ProxyMode = 'pass' | 'reset' | 'blackhole';

export interface ProxyConnectionInfo {
  id: number;
  openedAt: Date;
  /** Bytes forwarded client → target and target → client. */
  bytesUp: number;
  bytesDown: number;
}

export interface TcpProxy {
  port: number;
  targetPort: number;
  mode(): ProxyMode;
  setMode(mode: ProxyMode): void;
  /** Currently open client connections. */
  connections(): ProxyConnectionInfo[];
  /** Client connections accepted since start (including ones reset on arrival). */
  acceptedCount(): number;
  /** Close the listener and destroy every connection. Idempotent. */
  stop(): Promise<void>;
}

interface Pair {
  info: ProxyConnectionInfo;
  client: net.Socket;
  upstream: net.Socket;
  upstreamConnected: boolean;
  /** A side closed while in blackhole: passed on when switching to pass. */
  closedWhileHeld: boolean;
  clientEnded: boolean;
  upstreamEnded: boolean;
}

function rst(sock: net.Socket): void {
  if (sock.destroyed) return;
  try {
    // Available since Node 18.3: sends RST instead of FIN.
    sock.resetAndDestroy();
  } catch {
    sock.destroy();
  }
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass';
  let nextId = 1;
  let accepted = 0;
  const pairs = new Set<Pair>();

  const closePair = (p: Pair, how: 'rst' | 'destroy') => {
    pairs.delete(p);
    if (how === 'rst') {
      rst(p.client);
      rst(p.upstream);
    } else {
      p.client.destroy();
      p.upstream.destroy();
    }
  };

  const flowing = (p: Pair) => {
    if (mode !== 'pass') return;
    if (!p.upstreamConnected) return;
    p.client.resume();
    p.upstream.resume();
  };

  const forward = (p: Pair, from: net.Socket, to: net.Socket, dir: 'up' | 'down') => {
    from.on('data', (chunk: Buffer) => {
      if (dir === 'up') p.info.bytesUp += chunk.length;
      else p.info.bytesDown += chunk.length;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => flowing(p));
      }
    });
    from.on('end', () => {
      if (dir === 'up') p.clientEnded = true;
      else p.upstreamEnded = true;
      if (!to.destroyed) to.end();
    });
    from.on('close', (hadError: boolean) => {
      if (to.destroyed) {
        pairs.delete(p);
        return;
      }
      if (mode === 'blackhole') {
        p.closedWhileHeld = true;
        return;
      }
      if (hadError) {
        pairs.delete(p);
        to.destroy();
      } else {
        // Orderly close: let the other side flush, then make sure it goes away.
        to.end();
        setTimeout(() => closePair(p, 'destroy'), 1000).unref();
      }
    });
    from.on('error', () => {
      // 'close' follows
    });
  };

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    accepted++;
    if (mode === 'reset') {
      client.on('error', () => undefined);
      rst(client);
      return;
    }
    const upstream = net.connect({ host: targetHost, port: targetPort });
    upstream.pause();
    const p: Pair = {
      info: { id: nextId++, openedAt: new Date(), bytesUp: 0, bytesDown: 0 },
      client,
      upstream,
      upstreamConnected: false,
      closedWhileHeld: false,
      clientEnded: false,
      upstreamEnded: false,
    };
    pairs.add(p);
    forward(p, client, upstream, 'up');
    forward(p, upstream, client, 'down');
    upstream.once('connect', () => {
      p.upstreamConnected = true;
      flowing(p);
    });
  });
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopped = false;

  return {
    port,
    targetPort,
    mode: () => mode,
    setMode(next) {
      mode = next;
      if (next === 'reset') {
        for (const p of [...pairs]) closePair(p, 'rst');
      } else if (next === 'blackhole') {
        for (const p of pairs) {
          p.client.pause();
          p.upstream.pause();
        }
      } else {
        for (const p of [...pairs]) {
          if (p.closedWhileHeld || p.client.destroyed || p.upstream.destroyed) {
            // Deliver what is buffered, then pass the close on.
            if (!p.client.destroyed && p.upstream.destroyed) p.client.end();
            else if (!p.upstream.destroyed && p.client.destroyed) p.upstream.end();
            pairs.delete(p);
            setTimeout(() => closePair(p, 'destroy'), 100).unref();
            continue;
          }
          flowing(p);
        }
      }
    },
    connections: () => [...pairs].map((p) => ({ ...p.info })),
    acceptedCount: () => accepted,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const p of [...pairs]) closePair(p, 'destroy');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
