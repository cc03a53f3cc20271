// SQL and ORM calls live in the modules' data-access files (and migrations), never in the
// transport and wiring layers: the CLI, Slack, HTTP and the composition root call named
// functions instead (issue 19, listmonk's named queries). This test keeps that true by reading
// every file under those folders and failing with file:line for
//   - a string or template literal holding SQL (select … from, insert into, update … set,
//     delete from, on conflict, skip locked, a bare `select 1`),
//   - a call that talks to the database through MikroORM or the driver (sqlOf, getConnection,
//     getKnex, execute, createQueryBuilder, persist/flush, native*, em.find…),
//   - an import of src/db/sql.ts, the raw SQL helper.
// Comments are skipped, so a comment may still say what a query does.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const LAYERS = ['src/cli', 'src/slack', 'src/http', 'src/app'];

const SQL_TEXT: [RegExp, string][] = [
  [/\bselect\b[\s\S]*?\bfrom\s+[a-z_"]/i, 'select … from'],
  [/^\s*select\s+(1|\*|count\s*\(|exists\b)/i, 'select'],
  [/\binsert\s+into\s+[a-z_"]/i, 'insert into'],
  [/\bupdate\s+[a-z_"]+\s+set\b/i, 'update … set'],
  [/\bdelete\s+from\s+[a-z_"]/i, 'delete from'],
  [/\bon\s+conflict\b/i, 'on conflict'],
  [/\bskip\s+locked\b/i, 'skip locked'],
];

const ORM_CALLS: [RegExp, string][] = [
  [/\bsqlOf\s*\(/, 'sqlOf('],
  [
    /\.\s*(getConnection|getKnex|execute|createQueryBuilder|qb|getRepository|persist|persistAndFlush|flush|nativeInsert|nativeUpdate|nativeDelete|insertMany|upsert|upsertMany|findOneOrFail|findAndCount|findAll|removeAndFlush)\s*(<[^>()]*>)?\s*\(/,
    'ORM/driver call',
  ],
  [/\b(em|tx|trx)\s*\.\s*(find|findOne|count|insert|remove|create|merge|assign|map)\s*(<[^>()]*>)?\s*\(/, 'EntityManager call'],
];

const SQL_IMPORT = /\bfrom\s+['"][^'"]*\/db\/sql(\.ts|\.js)?['"]/;

interface Literal {
  line: number;
  text: string;
}

/**
 * Splits TypeScript source into its string/template literals (with the line each starts on) and
 * its code with comments and literals blanked (newlines kept, so offsets map to lines). A small
 * lexer is enough here: it knows comments, the three quote kinds, `${…}` inside templates and
 * regular-expression literals (so a `/'/` does not open a string).
 */
function splitSource(src: string): { literals: Literal[]; code: string } {
  const literals: Literal[] = [];
  const code: string[] = [];
  let line = 1;
  let i = 0;
  /** Each `${` we are inside, innermost last: the brace depth it opened at and its template so far. */
  const templateStack: { depth: number; line: number; text: string }[] = [];
  let depth = 0;
  let lastSignificant = '';
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  const push = (s: string, asCode: boolean) => {
    code.push(asCode ? s : blank(s));
    for (const ch of s) if (ch === '\n') line++;
  };

  const readTemplate = (startLine: number, before = ''): void => {
    // At the character after ` or after the } closing a ${…}; a substitution reads as ?.
    let text = before;
    while (i < src.length) {
      const ch = src[i]!;
      if (ch === '\\') {
        text += src.slice(i, i + 2);
        push(src.slice(i, i + 2), false);
        i += 2;
      } else if (ch === '`') {
        push(ch, false);
        i++;
        literals.push({ line: startLine, text });
        return;
      } else if (ch === '$' && src[i + 1] === '{') {
        push('${', false);
        i += 2;
        templateStack.push({ depth, line: startLine, text: `${text} ? ` });
        depth++;
        lastSignificant = '{';
        return;
      } else {
        text += ch;
        push(ch, false);
        i++;
      }
    }
  };

  while (i < src.length) {
    const ch = src[i]!;
    const next = src[i + 1];
    if (ch === '/' && next === '/') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? src.length : end;
      push(src.slice(i, stop), false);
      i = stop;
    } else if (ch === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : end + 2;
      push(src.slice(i, stop), false);
      i = stop;
    } else if (ch === '"' || ch === "'") {
      const startLine = line;
      let j = i + 1;
      while (j < src.length && src[j] !== ch && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      literals.push({ line: startLine, text: src.slice(i + 1, j) });
      push(src.slice(i, j + 1), false);
      i = j + 1;
      lastSignificant = ch;
    } else if (ch === '`') {
      push(ch, false);
      i++;
      readTemplate(line);
      lastSignificant = '`';
    } else if (ch === '/' && (lastSignificant === '' || /[(,=:[!&|?{};+\-*%<>~^]/.test(lastSignificant) || /\breturn$|\btypeof$/.test(code.join('').trimEnd()))) {
      // A regular-expression literal.
      let j = i + 1;
      let inClass = false;
      while (j < src.length && src[j] !== '\n') {
        const c = src[j]!;
        if (c === '\\') j++;
        else if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '/' && !inClass) break;
        j++;
      }
      push(src.slice(i, j + 1), false);
      i = j + 1;
      lastSignificant = '/';
    } else if (ch === '}' && templateStack.length && depth - 1 === templateStack[templateStack.length - 1]!.depth) {
      const outer = templateStack.pop()!;
      depth--;
      push(ch, false);
      i++;
      readTemplate(outer.line, outer.text);
      lastSignificant = '`';
    } else {
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
      if (!/\s/.test(ch)) lastSignificant = ch;
      push(ch, true);
      i++;
    }
  }
  return { literals, code: code.join('') };
}

/** Every SQL text or database call in one file's source, as `line: what: excerpt`. */
function findDatabaseAccess(src: string): string[] {
  const found: string[] = [];
  const { literals, code } = splitSource(src);
  for (const lit of literals) {
    for (const [re, what] of SQL_TEXT) {
      if (re.test(lit.text)) {
        found.push(`${lit.line}: SQL text (${what}): ${lit.text.replace(/\s+/g, ' ').trim().slice(0, 80)}`);
        break;
      }
    }
  }
  const codeLines = code.split('\n');
  codeLines.forEach((text, n) => {
    for (const [re, what] of ORM_CALLS) {
      const m = re.exec(text);
      if (m) found.push(`${n + 1}: ${what}: ${m[0].trim()}`);
    }
  });
  src.split('\n').forEach((text, n) => {
    if (/^\s*(import|export)\b/.test(text) && SQL_IMPORT.test(text)) found.push(`${n + 1}: imports the raw SQL helper (src/db/sql.ts)`);
  });
  return found.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
}

function tsFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full);
    return /\.(ts|mts|cts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

describe('where SQL lives', () => {
  it('the CLI, Slack, HTTP and app layers hold no SQL text or ORM calls: they call data-access functions', () => {
    const files = LAYERS.flatMap((d) => tsFiles(path.join(root, d)));
    expect(files.length).toBeGreaterThan(10);
    const problems = files.flatMap((f) => findDatabaseAccess(readFileSync(f, 'utf8')).map((p) => `${path.relative(root, f)}:${p}`));
    expect(problems, `move these into the owning module's data-access file:\n${problems.join('\n')}`).toEqual([]);
  });

  it('the scanner sees SQL in every literal form and ORM calls, with their lines', () => {
    const sample = [
      "import { sqlOf } from '../../db/sql.ts';",
      'const a = await sqlOf(em)(`select id, name',
      '   from organisation where id = ?`, [id]);',
      "await em.getConnection().execute('select 1');",
      'const b = `update outbox_message set attempts = ${n} where id = ?`;',
      "const c = 'delete from task where id = ?';",
      'const d = await em.find(Task, {});',
      'const e = `insert into x (a) values (${v}) on conflict do nothing`;',
    ].join('\n');
    const found = findDatabaseAccess(sample);
    expect(found.map((f) => parseInt(f, 10))).toEqual([1, 2, 2, 4, 4, 5, 6, 7, 8]);
    expect(found.join('\n')).toMatch(/select … from/);
    expect(found.join('\n')).toMatch(/EntityManager call/);
  });

  it('the scanner leaves prose, comments, regexes and array finds alone', () => {
    const sample = [
      '// select id from task where … (a comment may say what the query does)',
      "program.option('--list <slug>', 'only this list; pick from lists list');",
      "const m = /rate limited|HTTP 429/.test(e.message) ? 'a' : \"b\";",
      'const hit = res.messages?.find((m) => m.ts === ts);',
      "const r = text.replace(/'/g, \"''\");",
      '/* update the message, then set the flag */',
      'process.stdout.write(`selected ${n} rows from the file\\n`);',
    ].join('\n');
    expect(findDatabaseAccess(sample)).toEqual([]);
  });
});

// Issue 19: outside the transport layers too, SQL and ORM calls live only in data-access files
// (a module's `*-store.ts`), the database platform (src/db/) and migrations. The files below
// still hold SQL inside services; the list may only shrink, and a file leaves it when its
// queries move to its module's store file.
const DATA_ACCESS = (rel: string) => /(^|\/)[a-z0-9-]*store\.ts$/.test(rel) || rel.startsWith('src/db/');
const NOT_YET_MOVED = new Set<string>([
  'src/ingest/imap/leadership.ts',
  'src/ingest/ingest-processor.ts',
  'src/outbox/transports/smtp-agent.ts',
]);

describe('SQL only in data-access files', () => {
  const files = tsFiles(path.join(root, 'src')).map((f) => path.relative(root, f).split(path.sep).join('/'));

  it('no service outside the data-access files holds SQL text or ORM calls (but those not yet moved)', () => {
    const problems = files
      .filter((rel) => !DATA_ACCESS(rel) && !NOT_YET_MOVED.has(rel))
      .flatMap((rel) => findDatabaseAccess(readFileSync(path.join(root, rel), 'utf8')).map((p) => `${rel}:${p}`));
    expect(problems, `move these into the module's *-store.ts:\n${problems.join('\n')}`).toEqual([]);
  });

  it('the not-yet-moved list only names files that still hold SQL (it may only shrink)', () => {
    const stale = [...NOT_YET_MOVED].filter(
      (rel) => !files.includes(rel) || findDatabaseAccess(readFileSync(path.join(root, rel), 'utf8')).length === 0,
    );
    expect(stale, 'these hold no SQL any more: take them off NOT_YET_MOVED').toEqual([]);
  });
});
