import { Migration } from '@mikro-orm/migrations';

/**
 * An inbound message's text is stored once, in inbound_message.parsed. Its timeline entry
 * keeps only how that text splits into new text, quoted history and signature (line ranges,
 * see splitReplyLines) instead of a second copy of each part: the copy cost a backlog about a
 * sixth of its filing time. `body_part` gives a part back in SQL, for views and the access
 * package alike; it numbers lines as bodyLines does (CRLF and CR are line breaks).
 */
export class Migration20261126000011_body_split extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table record_message add column body_split jsonb');
    this.addSql(`
      create function body_part(body text, ranges jsonb) returns text language sql immutable as $fn$
        select coalesce(string_agg(l.line, E'\\n' order by l.n), '')
          from unnest(string_to_array(replace(replace(body, E'\\r\\n', E'\\n'), E'\\r', E'\\n'), E'\\n')) with ordinality as l(line, n)
         where exists (select 1 from jsonb_array_elements(ranges) as r(range)
                        where l.n - 1 >= (r.range->>0)::int and l.n - 1 < (r.range->>1)::int)
      $fn$`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function body_part(text, jsonb)');
    this.addSql('alter table record_message drop column body_split');
  }
}
