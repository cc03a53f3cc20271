import { Migration } from '@mikro-orm/migrations';

/**
 * A cancelled notice owes one more message to those who were told about it: the cancellation,
 * threaded under what they got. It is a step of its own kind, so the schedule shows it and its
 * mail goes through the same once-only path (notice_delivery, outbox dedupe) as every other.
 */
export class Migration20261126000015_notice_cancellation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table notice_step drop constraint if exists notice_step_step_check`);
    this.addSql(
      `alter table notice_step add constraint notice_step_step_check
         check (step in ('announcement', 'reminder', 'started', 'completed', 'incident', 'update', 'resolved', 'broadcast', 'cancellation'))`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`delete from notice_step where step = 'cancellation'`);
    this.addSql(`alter table notice_step drop constraint if exists notice_step_step_check`);
    this.addSql(
      `alter table notice_step add constraint notice_step_step_check
         check (step in ('announcement', 'reminder', 'started', 'completed', 'incident', 'update', 'resolved', 'broadcast'))`,
    );
  }
}
