#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ with tsc (tsconfig.build.json) and copies the files
// the code reads from disk beside it (the handlebars templates), so bin/mailroom.js runs plain
// JavaScript and no command pays for compiling TypeScript at run time.
//   node bin/build.js             always rebuild (dist/ is emptied first: no stale leftovers)
//   node bin/build.js --if-stale  only when src/ changed since the last build (npm start, tests)
// Run from `prepare`, so `npm install` / `npm ci` build it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { root, distDir, stampFile, distState } from './build-state.js';

if (process.argv.includes('--if-stale') && distState() === 'fresh') process.exit(0);

let tsc;
try {
  const pkg = createRequire(path.join(root, 'package.json')).resolve('typescript/package.json');
  tsc = path.join(path.dirname(pkg), 'bin', 'tsc');
} catch {
  process.stderr.write('build: TypeScript is not installed (it is a devDependency): run `npm install` first\n');
  process.exit(1);
}

fs.rmSync(distDir, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  process.stderr.write('build: tsc failed (see above); dist/ is incomplete\n');
  process.exit(r.status ?? 1);
}

/** Assets the code loads from next to its own module (import.meta.url). */
const ASSETS = [/\.hbs$/, /^intent-model\.json$/];
const copyAssets = (from, to) => {
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) copyAssets(src, dst);
    else if (ASSETS.some((re) => re.test(e.name))) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, dst);
    }
  }
};
copyAssets(path.join(root, 'src'), distDir);
fs.writeFileSync(stampFile, `built ${new Date().toISOString()}\n`);
