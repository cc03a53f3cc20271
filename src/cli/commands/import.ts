import { createRequire } from 'node:module';
import type { Command } from 'commander';
import type { Config } from '../../config/load-config.ts';
import type { Orm } from '../../db/orm.ts';
import { withDatabase } from '../context.ts';
import { lastOutboxId as newestOutboxId, pendingEmailsAfter } from '../../outbox/outbox-store.ts';
import { daemonConnected } from '../../db/database-probes.ts';
import { printRecord } from '../output.ts';
import { importMailSource, fileMessages, MailImportError, type ImportProgress, type MailImportOptions, type MailImportSummary } from '../../ingest/mail-import.ts';
import { createFiler } from '../../handlers/file-message.ts';
import { filingDepsFromConfig } from '../../app/filing-setup.ts';
import { silentLogger } from '../../logging/logger.ts';
import { expectErrors } from './records.ts';
import { describe } from '../command-index.ts';

/** The part of cli-progress used here (the package ships no types). */
interface ProgressBar {
  start(total: number, value: number, payload?: Record<string, unknown>): void;
  update(value: number, payload?: Record<string, unknown>): void;
  setTotal(total: number): void;
  stop(): void;
}
interface CliProgress {
  SingleBar: new (opts: Record<string, unknown>, preset?: unknown) => ProgressBar;
  Presets: Record<string, unknown>;
}
const cliProgress = createRequire(import.meta.url)('cli-progress') as CliProgress;

/** The filing stage as the daemon runs it, from the configuration. */
export function filingOptions(config: Config): NonNullable<MailImportOptions['filing']> {
  const deps = filingDepsFromConfig(config);
  return {
    file: createFiler(deps),
    maxAttempts: config.behaviour.ingest.maxAttempts,
    ownDomains: deps.ownDomains,
    messageIdDomain: deps.messageIdDomain,
    // Outcomes are in the summary; log lines would mix into stdout.
    log: silentLogger,
  };
}

export async function runPipelineUntilDone(orm: Orm, config: Config, ids: string[]): Promise<void> {
  await fileMessages(orm, ids, filingOptions(config), { timeoutMs: 5 * 60_000 });
}

/** A progress bar on stderr when it is a terminal; otherwise a plain line now and then. */
function progressReporter(): { onProgress: (p: ImportProgress) => void; done: () => void } {
  const label = { store: 'storing', file: 'filing ' } as const;
  if (process.stderr.isTTY) {
    let bar: ProgressBar | null = null;
    let phase: ImportProgress['phase'] | null = null;
    return {
      onProgress: (p) => {
        if (p.phase !== phase) {
          bar?.stop();
          phase = p.phase;
          bar = new cliProgress.SingleBar(
            { format: `${label[p.phase]} [{bar}] {value}/{total} messages | {percentage}% | {eta_formatted}`, stream: process.stderr, hideCursor: true, etaBuffer: 50 },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total, p.done);
          return;
        }
        bar!.setTotal(p.total);
        bar!.update(p.done);
      },
      done: () => bar?.stop(),
    };
  }
  let last = { phase: '', at: 0, done: -1 };
  return {
    onProgress: (p) => {
      const now = Date.now();
      const finished = p.done >= p.total;
      if (p.phase === last.phase && p.done === last.done) return;
      if (p.phase === last.phase && !finished && now - last.at < 2_000) return;
      process.stderr.write(`${label[p.phase].trim()}: ${p.done}/${p.total}\n`);
      last = { phase: p.phase, at: now, done: p.done };
    },
    done: () => {},
  };
}

/** Mail this import queued in the outbox (acknowledgements), and whether a daemon is connected to send it. */
interface OutboxNote {
  queued: number;
  daemonRunning: boolean;
}

async function lastOutboxId(orm: Orm): Promise<string> {
  return newestOutboxId(orm.em.fork());
}

async function outboxNote(orm: Orm, afterId: string): Promise<OutboxNote> {
  const em = orm.em.fork();
  return { queued: await pendingEmailsAfter(em, afterId), daemonRunning: await daemonConnected(em) };
}

function printSummary(s: MailImportSummary, note: OutboxNote): void {
  const out = process.stdout;
  out.write(`imported ${s.source} (${s.kind}${s.archive ? ', archive mode: no acknowledgements or tasks' : ''})\n`);
  out.write(`  messages    ${s.messages}\n`);
  out.write(`  stored      ${s.stored}\n`);
  out.write(`  duplicates  ${s.duplicates}${s.duplicates ? ' (imported before; not filed again)' : ''}\n`);
  const filed = Object.entries(s.filed).sort((a, b) => b[1] - a[1]);
  out.write(`  filed       ${filed.reduce((n, [, c]) => n + c, 0)}${filed.length ? ` (${filed.map(([o, c]) => `${o} ${c}`).join(', ')})` : ''}\n`);
  out.write(`  quarantined ${s.quarantined}\n`);
  for (const q of s.quarantinedMessages) out.write(`    #${q.id} ${q.source}: ${q.reason ?? ''}\n`);
  if (s.pending) out.write(`  pending     ${s.pending} (still being retried; the daemon will finish them)\n`);
  for (const k of s.skipped) out.write(`  skipped     ${k.file}: ${k.reason}\n`);
  if (note.queued) {
    out.write(
      `  outbox      ${note.queued} message${note.queued === 1 ? '' : 's'} queued (acknowledgements)${note.daemonRunning ? '; the daemon sends them' : '; the daemon is not running: they wait as pending until it runs (mailroom start)'}\n`,
    );
  }
}

/** `import <file.eml | dir | file.mbox> [--archive]`. */
export function registerImportCommands(program: Command): void {
  program
    .command('import <source>')
    .description(describe('import'))
    .option('--archive', 'file without acknowledging anyone or creating tasks (old mail)')
    .option('--no-file', 'only store the messages; the daemon files them')
    .option('--json', 'print the summary as JSON')
    .action(async (source: string, opts: { archive?: boolean; file: boolean; json?: boolean }) => {
      await expectErrors([MailImportError], async () => {
        await withDatabase(async ({ db, config }) => {
          const progress = progressReporter();
          let summary: MailImportSummary;
          const outboxBefore = await lastOutboxId(db.orm);
          try {
            summary = await importMailSource(db.orm, source, {
              archive: opts.archive,
              onProgress: progress.onProgress,
              filing: opts.file ? filingOptions(config) : undefined,
            });
          } finally {
            progress.done();
          }
          const note = await outboxNote(db.orm, outboxBefore);
          if (opts.json) printRecord({ ...summary, outbox: note }, { json: true });
          else printSummary(summary, note);
          if (summary.pending > 0) process.exitCode = 3;
        });
      });
    });
}
