/**
 * Issue 6: the access package for a person with 10,000 records across systems (tickets and
 * their messages, leads, email log, orders, inbound mail, outbox mail), built — JSON and HTML —
 * within 3 s. ratio = seconds / 3 s goal (lower is better; ok when ≤ 1).
 */
import { privacyCoverage } from '../src/app/privacy-setup.ts';
import { sqlOf } from '../src/db/sql.ts';
import { subjectKeys } from '../src/privacy/subject.ts';
import { buildAccessPackage, renderPackageHtml } from '../src/privacy/access-package.ts';
import { defaultPrivacyConfig } from '../src/privacy/config.ts';
import { freshDatabase, type BenchRow } from './bench-context.ts';

const GOAL_S = 3;

export async function privacyBench(serverUrl: string, records = 10_000): Promise<BenchRow> {
  const db = await freshDatabase(serverUrl, 'mailroom-bench:privacy');
  try {
    const email = 'bench.person@customer.example';
    const per = Math.floor(records / 7);
    await db.orm.em.fork().transactional(async (em) => {
      const sql = sqlOf(em);
      const [c] = await sql<{ id: string }>(`insert into contact (email, name, phone) values (?, 'Bench Person', '900 00 000') returning id`, [email]);
      const id = c!.id;
      await sql(`insert into ticket (ref, subject, requester_id) select 'SUP-B' || g, 'Case ' || g, ? from generate_series(1, ?) g`, [id, per]);
      await sql(`insert into record_message (record_ref, direction, from_address, subject, body_new) select 'SUP-B' || (1 + g % ?), 'in', ?, 'Msg ' || g, repeat('Tekst om saken. ', 20) from generate_series(1, ?) g`, [per, email, per]);
      await sql(`insert into lead (ref, source, subject, contact_id) select 'LEAD-B' || g, 'email', 'Lead ' || g, ? from generate_series(1, ?) g`, [id, per]);
      await sql(`insert into email_log (contact_id, record_ref, direction, subject) select ?, 'SUP-B' || g, 'in', 'Msg ' || g from generate_series(1, ?) g`, [id, per]);
      await sql(`insert into customer_order (order_number, order_date, buyer_name, buyer_email, buyer_contact_id, delivery_address) select 'B-' || g, date '2024-01-01' + (g % 600), 'Bench Person', ?, ?, 'Gate 1' from generate_series(1, ?) g`, [email, id, per]);
      await sql(`insert into inbound_message (source, content_sha256, size, subject, from_address, state) select 'import', md5(g::text), 1000, 'Mail ' || g, ?, 'filed' from generate_series(1, ?) g`, [email, per]);
      await sql(`insert into outbox_message (channel, payload, status) select 'email', jsonb_build_object('to', jsonb_build_array(?::text), 'subject', 'Re ' || g, 'text', repeat('Svar. ', 30)), 'sent' from generate_series(1, ?) g`, [email, records - 6 * per]);
      await sql('analyze');
    });
    const em = db.orm.em.fork();
    const t0 = performance.now();
    const pkg = await buildAccessPackage(em, { keys: await subjectKeys(em, email), config: defaultPrivacyConfig, language: 'nb', now: new Date(), coverage: privacyCoverage() });
    const json = JSON.stringify(pkg);
    const html = renderPackageHtml(pkg);
    const seconds = (performance.now() - t0) / 1000;
    return {
      name: `privacy: access package, ${pkg.totalRecords} records`,
      figure: `${seconds.toFixed(2)} s (${(json.length / 1e6).toFixed(1)} MB JSON, ${(html.length / 1e6).toFixed(1)} MB HTML)`,
      baseline: `${GOAL_S} s goal`,
      ratio: Math.round((seconds / GOAL_S) * 100) / 100,
      goal: `≤ ${GOAL_S} s (ratio = seconds / ${GOAL_S} s, ≤ 1)`,
      ok: seconds <= GOAL_S && pkg.totalRecords >= records,
    };
  } finally {
    await db.drop();
  }
}
