// No import cycles between the folders of src/ (a folder is the first path segment under src/:
// src/privacy/effects.ts belongs to `privacy`). A cycle means neither folder can be read, tested
// or moved without the other; the issue (19) wants folders a newcomer can hold in their head, so
// a folder that needs another's work either imports it one way only or has it passed in by the
// composition root (src/app/).
//
// Value imports (anything that loads the other module at run time, dynamic import() included)
// must form no cycle at all. Type-only imports (`import type`, `import { type X }`,
// `import('…').X`) cost nothing at run time but couple folders all the same, so they count too,
// as a ratchet: the folder edges that close a cycle only through type imports today are listed
// in TYPE_TANGLE below (config's schema composing the modules' schemas while they import its
// Config type, db ↔ config, entities → threading, …). A new one fails the test; one that
// disappears must be struck from the list, so it only shrinks. Write `import type` for a type:
// a plain import of a name used only as a type counts as a value import here.
//
// Imports are read with TypeScript's own parser (the tsgo API of the pinned typescript
// package: TypeScript 7 has no preProcessFile), so every form counts: static, re-exports,
// dynamic import() and import types.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API } from 'typescript/unstable/sync';
import { SyntaxKind, type Node, type SourceFile } from 'typescript/unstable/ast';

const root = path.resolve(import.meta.dirname, '../..');
const srcDir = path.join(root, 'src');

type Kind = 'value' | 'type';
interface FileEdge {
  from: string;
  to: string;
  kind: Kind;
}

const isTypeKeyword = (k: unknown) => k === SyntaxKind.TypeKeyword;

/** Every relative import of one file, with whether it brings in values or only types. */
function importsOf(sf: SourceFile): { specifier: string; kind: Kind }[] {
  const found: { specifier: string; kind: Kind }[] = [];
  const text = (n: Node | undefined) => (n && 'text' in n ? String((n as { text: unknown }).text) : undefined);
  const add = (spec: string | undefined, kind: Kind) => {
    if (spec?.startsWith('.')) found.push({ specifier: spec, kind });
  };
  const visit = (node: Node): void => {
    switch (node.kind) {
      case SyntaxKind.ImportDeclaration: {
        const n = node as unknown as {
          importClause?: { phaseModifier?: SyntaxKind; name?: Node; namedBindings?: Node & { elements?: { isTypeOnly: boolean }[] } };
          moduleSpecifier: Node;
        };
        const c = n.importClause;
        // `import { type A, type B } from` brings in no value, like `import type { A, B }`.
        const onlyTypes =
          !!c &&
          (isTypeKeyword(c.phaseModifier) ||
            (!c.name && !!c.namedBindings?.elements && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
        add(text(n.moduleSpecifier), onlyTypes ? 'type' : 'value');
        return;
      }
      case SyntaxKind.ExportDeclaration: {
        const n = node as unknown as { isTypeOnly: boolean; moduleSpecifier?: Node; exportClause?: Node & { elements?: { isTypeOnly: boolean }[] } };
        const onlyTypes = n.isTypeOnly || (!!n.exportClause?.elements && n.exportClause.elements.every((e) => e.isTypeOnly));
        add(text(n.moduleSpecifier), onlyTypes ? 'type' : 'value');
        return;
      }
      case SyntaxKind.ImportType: {
        const arg = (node as unknown as { argument: Node & { literal?: Node } }).argument;
        add(text(arg.literal), 'type');
        break;
      }
      case SyntaxKind.CallExpression: {
        const n = node as unknown as { expression: Node; arguments: readonly Node[] };
        if (n.expression.kind === SyntaxKind.ImportKeyword) add(text(n.arguments[0]), 'value');
        break;
      }
    }
    node.forEachChild(visit);
  };
  sf.forEachChild(visit);
  return found;
}

function readImportGraph(): FileEdge[] {
  const api = new API({ cwd: root });
  try {
    const project = api.updateSnapshot({ openProjects: [path.join(root, 'tsconfig.json')] }).getProjects()[0];
    const edges: FileEdge[] = [];
    for (const file of project.program.getSourceFileNames()) {
      if (!file.startsWith(srcDir + path.sep)) continue;
      const sf = project.program.getSourceFile(file);
      if (!sf) continue;
      for (const { specifier, kind } of importsOf(sf)) {
        const target = path.resolve(path.dirname(file), specifier);
        if (target.startsWith(srcDir + path.sep)) edges.push({ from: path.relative(root, file), to: path.relative(root, target), kind });
      }
    }
    return edges;
  } finally {
    api.close();
  }
}

/** src/privacy/effects.ts → privacy; a file straight under src/ is its own folder. */
const folderOf = (file: string) => {
  const parts = file.split(path.sep);
  return parts.length > 2 ? parts[1] : parts[1].replace(/\.ts$/, '');
};

/** Strongly connected groups of folders (Tarjan): every folder of a group reaches every other. */
function stronglyConnected(graph: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return groups;
}

/** The shortest way back from `to` to `from` inside a group: the rest of the cycle an edge closes. */
function pathBack(graph: Map<string, Set<string>>, group: Set<string>, from: string, to: string): string[] {
  const prev = new Map<string, string>([[to, to]]);
  const queue = [to];
  while (queue.length) {
    const v = queue.shift()!;
    if (v === from) break;
    for (const w of graph.get(v) ?? []) if (group.has(w) && !prev.has(w)) (prev.set(w, v), queue.push(w));
  }
  const way = [from];
  for (let v = from; v !== to; ) way.unshift((v = prev.get(v)!));
  return way;
}

/** One block a group of folders: each folder edge inside it, the files that make it, and a cycle it closes. */
function describeCycles(edges: FileEdge[]): string[] {
  const graph = new Map<string, Set<string>>();
  const byPair = new Map<string, FileEdge[]>();
  for (const e of edges) {
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
    const key = `${a} → ${b}`;
    byPair.set(key, [...(byPair.get(key) ?? []), e]);
  }
  return stronglyConnected(graph).map((members) => {
    const group = new Set(members);
    const lines = [`folders in one cycle: ${members.join(', ')}`];
    for (const a of members) {
      for (const b of [...(graph.get(a) ?? [])].sort()) {
        if (!group.has(b)) continue;
        lines.push(`  ${a} → ${b}   (closes ${[a, ...pathBack(graph, group, a, b)].join(' → ')})`);
        const seen = new Set<string>();
        for (const e of byPair.get(`${a} → ${b}`)!) {
          const line = `      ${e.from} → ${e.to}${e.kind === 'type' ? ' (types only)' : ''}`;
          if (!seen.has(line)) (seen.add(line), lines.push(line));
        }
      }
    }
    return lines.join('\n');
  });
}

/** Folder edges inside a cycle, as `a → b`. */
function cycleEdges(edges: FileEdge[]): string[] {
  return describeCycles(edges)
    .flatMap((block) => block.split('\n'))
    .map((line) => /^ {2}(\S+ → \S+) /.exec(line)?.[1])
    .filter((x): x is string => !!x)
    .sort();
}

/**
 * Folder edges that are part of a cycle only once type-only imports count (issue 19: still to
 * untangle). Strike an edge when it goes; never add one.
 */
const TYPE_TANGLE: string[] = [
  'classify → ingest',
  'classify → mail',
  'classify → threading',
  'config → classify',
  'config → mail',
  'config → newsletter',
  'config → notices',
  'config → privacy',
  'config → tasks',
  // domainOf has one home now (threading/normalise-address.ts); it moves with that file into
  // mail/ (the one address module), which takes this edge out again.
  'config → threading',
  'db → config',
  'db → entities',
  'entities → threading',
  'handlers → classify',
  'handlers → ingest',
  'handlers → mail',
  'handlers → newsletter',
  'handlers → outbox',
  'handlers → privacy',
  'handlers → records',
  'handlers → tasks',
  'handlers → threading',
  'ingest → config',
  'ingest → db',
  'ingest → metrics',
  // src/queue took over outbox's backoff, journal and claim code: the same ties, under a new name.
  'ingest → queue',
  'mail → threading',
  'metrics → db',
  'newsletter → classify',
  'newsletter → config',
  'newsletter → db',
  'newsletter → handlers',
  'newsletter → ingest',
  'newsletter → mail',
  'newsletter → metrics',
  'newsletter → outbox',
  'newsletter → queue',
  'newsletter → privacy',
  'newsletter → suppression',
  'newsletter → table-import',
  'newsletter → tasks',
  'newsletter → threading',
  'notices → config',
  'notices → db',
  'notices → entities',
  'notices → mail',
  'notices → outbox',
  'notices → privacy',
  'notices → records',
  'notices → tasks',
  'notices → threading',
  'outbox → db',
  'outbox → queue',
  'outbox → entities',
  'outbox → metrics',
  'privacy → classify',
  'privacy → config',
  'privacy → db',
  'privacy → ingest',
  'privacy → mail',
  'privacy → outbox',
  'privacy → records',
  'privacy → suppression',
  'privacy → tasks',
  'privacy → threading',
  'queue → db',
  'records → classify',
  'records → db',
  'records → entities',
  'records → handlers',
  'records → mail',
  'records → outbox',
  'records → table-import',
  'records → tasks',
  'records → threading',
  'suppression → db',
  'suppression → mail',
  'suppression → threading',
  'table-import → db',
  'table-import → ingest',
  'table-import → mail',
  'table-import → threading',
  'tasks → config',
  'tasks → db',
  'tasks → entities',
  'tasks → outbox',
  'threading → classify',
];

describe('folders of src/', () => {
  const edges = readImportGraph();

  it('reads the imports of the whole tree', () => {
    // A parser that silently found nothing would pass the checks below: make sure it sees the
    // edges every build has (the composition root imports the handlers).
    expect(edges.length).toBeGreaterThan(500);
    expect(edges.some((e) => e.from === path.join('src', 'app', 'daemon.ts') && folderOf(e.to) === 'ingest')).toBe(true);
    expect(edges.some((e) => e.kind === 'type')).toBe(true);
  });

  it('import each other one way only at run time (no cycle of folders through value imports)', () => {
    const cycles = describeCycles(edges.filter((e) => e.kind === 'value'));
    expect(cycles.length, `\n${cycles.join('\n\n')}\n`).toBe(0);
  });

  it('gain no cycle through type-only imports (TYPE_TANGLE only shrinks)', () => {
    const now = cycleEdges(edges);
    const added = now.filter((e) => !TYPE_TANGLE.includes(e));
    const gone = TYPE_TANGLE.filter((e) => !now.includes(e));
    const detail = describeCycles(edges).join('\n\n');
    expect(added, `new folder edges in a cycle (type imports counted):\n${detail}\n`).toEqual([]);
    expect(gone, 'no longer in a cycle: strike these from TYPE_TANGLE').toEqual([]);
  });
});
