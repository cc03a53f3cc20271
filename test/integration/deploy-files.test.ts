/**
 * Issue 20, point 5 (service files): the systemd unit passes `systemd-analyze verify` and says
 * what the issue asks; the Dockerfile's runtime layout is rebuilt without a Docker engine (its
 * COPY lines copied, its `npm ci --omit=dev` run offline from the npm cache) and the daemon
 * started from it answers /healthz as the HEALTHCHECK asks it; the compose file is read and its
 * structure asserted (and given to `docker compose config` where a compose is installed).
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { envSchema } from '../../src/config/env-schema.ts';
import { loadEnv } from '../../src/config/load-config.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { findExecutable } from '../support/dovecot.ts';
import { projectRoot } from '../support/cli-runner.ts';
import { getFreePort } from '../support/free-port.ts';
import { waitUntil } from '../support/e2e-helpers.ts';

const UNIT = path.join(projectRoot, 'deploy/systemd/mailroom.service');
const ENV_EXAMPLE = path.join(projectRoot, 'deploy/mailroom.env.example');
const DOCKERFILE = path.join(projectRoot, 'deploy/docker/Dockerfile');
const COMPOSE = path.join(projectRoot, 'deploy/docker/compose.yml');

function run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd ?? projectRoot, env: opts.env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0, stdout, stderr }),
    );
  });
}

/** `[Section] Key=value` pairs of a unit file (a key may repeat). */
function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    const key = `${section}.${line.slice(0, eq)}`;
    keys.set(key, [...(keys.get(key) ?? []), line.slice(eq + 1)]);
  }
  return keys;
}

/** Dockerfile instructions with their arguments, continuation lines joined. */
function dockerInstructions(text: string): { op: string; args: string }[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

describe('systemd unit', () => {
  const text = readFileSync(UNIT, 'utf8');
  const keys = unitKeys(text);
  const one = (k: string) => keys.get(k)?.[0];

  it('runs as its own user, restarts on failure, stops on SIGTERM with a grace period, reads the env file, and is hardened', () => {
    expect(one('Service.User')).toBe('mailroom');
    expect(one('Service.Group')).toBe('mailroom');
    expect(one('Service.Restart')).toBe('on-failure');
    expect(one('Service.KillSignal')).toBe('SIGTERM');
    expect(one('Service.KillMode')).toBe('mixed');
    expect(one('Service.TimeoutStopSec')).toMatch(/^\d+s$/);
    expect(one('Service.EnvironmentFile')).toBe('/etc/mailroom/env');
    expect(one('Service.WorkingDirectory')).toBe('/opt/mailroom');
    expect(one('Service.ExecStart')).toMatch(/ \/opt\/mailroom\/bin\/mailroom\.js start$/);
    expect(one('Service.NoNewPrivileges')).toBe('yes');
    expect(one('Service.ProtectSystem')).toBe('strict');
    expect(one('Service.PrivateTmp')).toBe('yes');
    // The data directory the daemon is told to use is the one it may write.
    expect(one('Service.Environment')).toContain('MAILROOM_DATA_DIR=/var/lib/mailroom');
    expect(one('Service.ReadWritePaths')).toBe('/var/lib/mailroom');
    expect(one('Install.WantedBy')).toBe('multi-user.target');
  });

  const analyze = findExecutable('systemd-analyze');
  it.skipIf(!analyze)(`passes systemd-analyze verify${analyze ? '' : ' (skipped: systemd-analyze is not installed here)'}`, async () => {
    // verify insists ExecStart's binary exists; where node is elsewhere, the copy names this node.
    let file = UNIT;
    let dir: string | undefined;
    if (!existsSync('/usr/bin/node')) {
      dir = mkdtempSync(path.join(tmpdir(), 'mailroom-unit-'));
      file = path.join(dir, 'mailroom.service');
      writeFileSync(file, text.replace('ExecStart=/usr/bin/node', `ExecStart=${process.execPath}`));
    }
    try {
      const r = await run(analyze!, ['verify', file]);
      expect(r.code, r.stderr).toBe(0);
      // Unknown keys and bad values are only warnings to systemd; here they fail.
      expect(r.stderr.trim()).toBe('');
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('environment file example', () => {
  it('names only variables Mailroom reads, and they validate as they stand', () => {
    const known = new Set(Object.keys(envSchema.shape));
    const vars = Object.fromEntries(
      readFileSync(ENV_EXAMPLE, 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(Object.keys(vars).filter((k) => !known.has(k))).toEqual([]);
    expect(() => loadEnv(vars)).not.toThrow();
    for (const k of ['DATABASE_URL', 'MAILROOM_SECRET', 'IMAP_HOST', 'SMTP_URL', 'PUBLIC_URL', 'SLACK_BOT_TOKEN']) expect(vars).toHaveProperty(k);
  });
});

describe('Dockerfile', () => {
  const all = dockerInstructions(readFileSync(DOCKERFILE, 'utf8'));
  // The image is its last stage; the stages before it only build what it copies `--from`.
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  const ins = all.slice(lastFrom);
  const build = all.slice(0, lastFrom);
  /** A COPY's sources and destination, and the stage it copies from (none: the build context). */
  const copyArgs = (c: { args: string }) => {
    const parts = c.args.split(/\s+/);
    const from = parts[0]?.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : null;
    return { from, dest: parts.pop()!, sources: parts };
  };
  const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));

  it('node:20-bookworm-slim, production dependencies only, a non-root user, a HEALTHCHECK on /healthz, the daemon as command', () => {
    expect(ins[0]).toEqual({ op: 'FROM', args: 'node:20-bookworm-slim' });
    expect(ins.find((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args))).toBeTruthy();
    const user = ins.filter((i) => i.op === 'USER').pop();
    expect(user?.args).toBe('mailroom');
    expect(ins.find((i) => i.op === 'HEALTHCHECK')?.args).toMatch(/\/healthz/);
    expect(ins.find((i) => i.op === 'STOPSIGNAL')?.args).toBe('SIGTERM');
    expect(ins.filter((i) => i.op === 'CMD').pop()?.args).toBe('["node", "bin/mailroom.js", "start"]');
    // Every COPY source exists (the build context is the repository root), in every stage.
    for (const c of all.filter((i) => i.op === 'COPY')) {
      const { from, sources } = copyArgs(c);
      if (from) continue;
      for (const s of sources) expect(existsSync(path.join(projectRoot, s)), s).toBe(true);
    }
    // The image runs compiled JavaScript: the build stage compiles it, the image copies dist/.
    expect(build[0]?.args).toMatch(/^node:20-bookworm-slim AS build$/);
    expect(build.find((i) => i.op === 'RUN' && /bin\/build\.js|npm run build/.test(i.args))).toBeTruthy();
    expect(ins.filter((i) => i.op === 'COPY').map(copyArgs)).toContainEqual({ from: 'build', sources: ['/app/dist'], dest: './dist' });
  });

  it('no code the image runs imports a development dependency', () => {
    const dev = Object.keys(pkg.devDependencies);
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|js)$/.test(e.name)) {
          const text = readFileSync(p, 'utf8');
          for (const d of dev) if (new RegExp(`(from |import\\()'${d.replace(/[/.]/g, '\\$&')}(/[^']*)?'`).test(text) && !/^@types\//.test(d)) offenders.push(`${path.relative(projectRoot, p)} → ${d}`);
        }
      }
    };
    walk(path.join(projectRoot, 'src'));
    walk(path.join(projectRoot, 'bin'));
    expect(offenders).toEqual([]);
  });

  describe('its runtime layout, built without an engine', () => {
    let db: TestDatabase;
    let app: string;
    beforeAll(async () => {
      db = await createTestDatabase({ migrate: false });
      app = mkdtempSync(path.join(tmpdir(), 'mailroom-image-'));
    }, 60_000);
    afterAll(async () => {
      await db?.drop();
      if (app) rmSync(app, { recursive: true, force: true });
    });

    it('the COPY lines and `npm ci --omit=dev` (offline, from the npm cache) give a tree whose daemon starts, migrates and answers the HEALTHCHECK', async () => {
      // The build stage's dist/ is this checkout's (built by `npm install`'s prepare; rebuilt if stale).
      const built = await run(process.execPath, ['bin/build.js', '--if-stale']);
      expect(built.code, built.stderr).toBe(0);
      for (const c of ins.filter((i) => i.op === 'COPY')) {
        const { from, sources, dest } = copyArgs(c);
        for (const s of sources) {
          const source = from ? path.join(projectRoot, path.relative('/app', s)) : path.join(projectRoot, s);
          cpSync(source, path.join(app, dest === './' ? path.basename(s) : dest), { recursive: true });
        }
      }
      expect(existsSync(path.join(app, 'src')), 'the image holds no TypeScript sources').toBe(false);
      const npm = await run('npm', ['ci', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app });
      expect(npm.code, npm.stderr).toBe(0);
      expect(existsSync(path.join(app, 'node_modules/vitest'))).toBe(false);
      expect(existsSync(path.join(app, 'node_modules/tsx')), 'tsx is for development only').toBe(false);

      const port = await getFreePort();
      const dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-image-data-'));
      const child = spawn(process.execPath, ['bin/mailroom.js', 'start'], {
        cwd: app,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          DATABASE_URL: db.url,
          MAILROOM_SECRET: 'image-test-secret-0123456789',
          MAILROOM_DATA_DIR: dataDir,
          MAILROOM_CONFIG: path.join(app, 'config/mailroom.yaml'),
          HTTP_PORT: String(port),
          HTTP_HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        await waitUntil('the daemon from the image layout to answer /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok, { timeoutMs: 60_000, describe: () => out });
        // The HEALTHCHECK's own command, as Docker would run it inside the container.
        const hc = ins.find((i) => i.op === 'HEALTHCHECK')!.args;
        const cmd = JSON.parse(hc.slice(hc.indexOf('CMD') + 3).trim()) as string[];
        const check = await run(process.execPath, cmd.slice(1), { cwd: app, env: { ...process.env, HTTP_PORT: String(port) } });
        expect(check.code, check.stderr).toBe(0);
      } finally {
        child.kill('SIGTERM');
        const code = await exited;
        rmSync(dataDir, { recursive: true, force: true });
        expect(code, out).toBe(0);
      }
    });
  });
});

describe('compose file', () => {
  const compose = parseYaml(readFileSync(COMPOSE, 'utf8'), { merge: true });
  const services = compose.services as Record<string, any>;
  const mailrooms = Object.entries(services).filter(([, s]) => s.build);

  it('two Mailroom instances from the Dockerfile and a PostgreSQL 15 they wait for', () => {
    expect(services.postgres.image).toBe('postgres:15');
    expect(services.postgres.healthcheck.test.join(' ')).toMatch(/pg_isready/);
    expect(mailrooms.map(([n]) => n)).toEqual(['mailroom-1', 'mailroom-2']);
    for (const [name, s] of mailrooms) {
      expect(path.resolve(path.dirname(COMPOSE), s.build.context), name).toBe(projectRoot);
      expect(path.resolve(projectRoot, s.build.dockerfile)).toBe(DOCKERFILE);
      expect(s.env_file).toEqual(['mailroom.env']);
      expect(new URL(s.environment.DATABASE_URL.replace(/\$\{[^}]+\}/, 'x')).host).toBe('postgres:5432');
      expect(s.depends_on.postgres.condition).toBe('service_healthy');
      expect(s.restart).toBe('unless-stopped');
      expect(s.stop_grace_period).toMatch(/^\d+s$/);
    }
    // Each instance its own port and its own data volume (the outbox journals are per instance).
    const ports = mailrooms.map(([, s]) => s.ports[0]);
    const volumes = mailrooms.map(([, s]) => s.volumes[0]);
    expect(new Set(ports).size).toBe(2);
    expect(new Set(volumes).size).toBe(2);
    for (const v of volumes) expect(v).toMatch(/:\/var\/lib\/mailroom$/);
    for (const v of [...volumes, ...services.postgres.volumes]) expect(Object.keys(compose.volumes)).toContain(v.split(':')[0]);
  });

  const composeCli = findExecutable('docker-compose');
  it.skipIf(!composeCli)(`passes docker-compose config${composeCli ? '' : ' (skipped: no docker compose here; the docker client alone has no compose)'}`, async () => {
    const dir = path.dirname(COMPOSE);
    const envFile = path.join(dir, 'mailroom.env');
    const created = !existsSync(envFile);
    if (created) cpSync(ENV_EXAMPLE, envFile);
    try {
      const r = await run(composeCli!, ['-f', COMPOSE, 'config', '-q'], { cwd: dir, env: { ...process.env, POSTGRES_PASSWORD: 'x' } });
      expect(r.code, r.stderr).toBe(0);
    } finally {
      if (created) rmSync(envFile, { force: true });
    }
  });
});
