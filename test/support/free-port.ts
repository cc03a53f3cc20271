/**
 * A free TCP port on the loopback interface.
 *
 * The port is found by binding to port 0 and closing again, so another process may take it
 * before the caller binds it: callers that start an external server (Dovecot) retry with a
 * fresh port when the bind fails. Servers we run in-process should listen on port 0 directly.
 */
import net from 'node:net';

export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (!addr || typeof addr === 'string') {
        srv.close();
        reject(new Error('getFreePort: could not read the bound address'));
        return;
      }
      const { port } = addr;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Resolves once `host:port` accepts a TCP connection; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await new Promise<void>((resolve, reject) => {
        const sock = net.connect({ host, port });
        const t = setTimeout(() => {
          sock.destroy();
          reject(new Error('connect timeout'));
        }, Math.max(50, Math.min(1000, deadline - Date.now())));
        sock.once('connect', () => {
          clearTimeout(t);
          sock.destroy();
          resolve();
        });
        sock.once('error', (err) => {
          clearTimeout(t);
          sock.destroy();
          reject(err);
        });
      });
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(
    `waitForPort: ${host}:${port} did not accept connections within ${timeoutMs} ms` +
      (lastError instanceof Error ? ` (last error: ${lastError.message})` : ''),
  );
}
