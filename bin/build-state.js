// Whether dist/ (the compiled JavaScript that bin/mailroom.js runs) matches src/. Shared by
// bin/build.js (`--if-stale`) and bin/mailroom.js (a warning when src/ changed since the build).
// File-system metadata only: a few milliseconds for the whole tree.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = path.join(root, 'dist');
export const stampFile = path.join(distDir, '.build-stamp');

/** Newest modification time under src/ (files and folders, so a deleted file counts too) and of the build settings. */
function newestSourceTime() {
  let newest = 0;
  const visit = (p) => {
    const st = fs.statSync(p);
    newest = Math.max(newest, st.mtimeMs);
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
  };
  visit(path.join(root, 'src'));
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'bin/build.js']) {
    try {
      newest = Math.max(newest, fs.statSync(path.join(root, f)).mtimeMs);
    } catch {
      // not there: nothing to compare
    }
  }
  return newest;
}

/** 'missing' (never built), 'stale' (src/ changed since) or 'fresh'. */
export function distState() {
  let built;
  try {
    built = fs.statSync(stampFile).mtimeMs;
  } catch {
    return 'missing';
  }
  try {
    return newestSourceTime() > built ? 'stale' : 'fresh';
  } catch {
    // No src/ beside dist/ (an installed copy without sources): dist is all there is.
    return 'fresh';
  }
}
