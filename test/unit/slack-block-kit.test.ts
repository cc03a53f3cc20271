import { describe, expect, it } from 'vitest';
import {
  ACTION_IDS,
  INPUT_IDS,
  VIEW_IDS,
  buttonValue,
  decidedMessage,
  esc,
  parseButtonValue,
  parseModalMeta,
  rejectModal,
  replyModal,
  taskMessage,
  type TaskView,
} from '../../src/slack/block-kit.ts';
import { verifySlackSignature } from '../../src/slack/verify-signature.ts';
import { signSlackRequest } from '../support/slack-fake.ts';
import { defaultButtons, parseTaskRef } from '../../src/tasks/task-service.ts';

function view(over: Partial<TaskView>): TaskView {
  return {
    publicId: 'T-000007',
    kind: 'new-ticket',
    recordRef: 'SUP-000001',
    title: 'Varmepumpe virker ikke',
    summary: 'Kunden melder feil på varmepumpe i bygg B.',
    details: { subject: 'Varmepumpe virker ikke', requesterOrg: 'Nordbygg AS' },
    buttons: defaultButtons(over.kind ?? 'new-ticket', over.actionKind),
    state: 'open',
    version: 1,
    assigneeName: null,
    decidedBy: null,
    decidedAt: null,
    reason: null,
    actionKind: null,
    ...over,
  };
}

const allText = (m: { text: string; blocks: unknown[] }) => m.text + '\n' + JSON.stringify(m.blocks);
const actionIds = (m: { blocks: any[] }) => m.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements.map((e: any) => e.action_id));

describe('block kit messages', () => {
  // Issue 16 added Sales / Spam: a ticket in the wrong queue is moved from its task.
  it('new ticket: ID, subject, requester organisation, and Assign to me / Reply / Close / Sales / Spam', () => {
    const m = taskMessage(view({}));
    expect(m.text).toContain('SUP-000001');
    expect(allText(m)).toContain('Nordbygg AS');
    expect(allText(m)).toContain('Varmepumpe virker ikke');
    const labels = m.blocks.filter((b: any) => b.type === 'actions').flatMap((b: any) => b.elements.map((e: any) => e.text.text));
    expect(labels).toEqual(['Assign to me', 'Reply', 'Close', 'Sales', 'Spam']);
    expect(actionIds(m)).toEqual([ACTION_IDS.assign, ACTION_IDS.reply, ACTION_IDS.close, ACTION_IDS.routePrefix + 'sales', ACTION_IDS.routePrefix + 'spam']);
    const values = m.blocks.filter((b: any) => b.type === 'actions').flatMap((b: any) => b.elements.map((e: any) => e.value));
    expect(new Set(values)).toEqual(new Set(['T-000007@1']));
  });

  it('is phone-friendly: a header, short sections, no block over Slack limits', () => {
    const long = 'x'.repeat(5000);
    const m = taskMessage(view({ summary: long, title: long, details: { subject: long, requesterOrg: 'A' } }));
    expect(m.blocks[0]).toMatchObject({ type: 'header' });
    for (const b of m.blocks as any[]) {
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(b.type === 'header' ? 150 : 3000);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
      expect(b.fields?.length ?? 0).toBeLessThanOrEqual(10);
    }
    expect((m.blocks as any[]).find((b) => b.type === 'section' && b.text)!.text.text.length).toBeLessThanOrEqual(600);
    expect(m.text.length).toBeLessThanOrEqual(300);
  });

  it('escapes email text so a subject cannot ping a channel or fake a link', () => {
    const m = taskMessage(view({ details: { subject: '<!channel> hi <https://evil|bank>', requesterOrg: 'A&B' } }));
    expect(JSON.stringify(m.blocks)).not.toContain('<!channel>');
    expect(JSON.stringify(m.blocks)).toContain('&lt;!channel&gt;');
    expect(esc('a<b>&')).toBe('a&lt;b&gt;&amp;');
  });

  it('new lead and triage (a button for every route staff can choose, privacy included)', () => {
    const lead = taskMessage(view({ kind: 'new-lead', recordRef: 'LEAD-000004', details: { company: 'Fjord Eiendom', interest: 'service avtale' } }));
    expect(allText(lead)).toContain('LEAD-000004');
    expect(allText(lead)).toContain('Fjord Eiendom');
    expect(actionIds(lead).filter((id: string) => id.startsWith(ACTION_IDS.routePrefix))).toEqual(['support', 'spam'].map((r) => ACTION_IDS.routePrefix + r));
    const triage = taskMessage(view({ kind: 'triage', buttons: ['reclassify'] }));
    expect(actionIds(triage)).toEqual(['support', 'sales', 'privacy', 'spam'].map((r) => ACTION_IDS.routePrefix + r));
  });

  it('privacy case: only the case ID, the right requested and the due date', () => {
    const m = taskMessage(
      view({
        kind: 'privacy-case',
        recordRef: 'PRV-000002',
        title: 'Innsyn fra Kari Nordmann <kari@example.no>',
        summary: 'Kari Nordmann, Storgata 1, tlf 99999999',
        details: { right: 'access', dueDate: '2026-12-26', requesterName: 'Kari Nordmann', email: 'kari@example.no' },
        buttons: ['assign', 'close'],
      }),
    );
    const t = allText(m);
    expect(t).toContain('PRV-000002');
    expect(t).toContain('Access');
    expect(t).toContain('2026-12-26');
    for (const pd of ['Kari', 'Nordmann', 'example.no', 'Storgata', '9999']) expect(t).not.toContain(pd);
  });

  it('approval: Approve (with a confirmation) and Reject', () => {
    const m = taskMessage(view({ kind: 'approval', actionKind: 'erasure', recordRef: 'PRV-000003', title: 'Erase the contact of PRV-000003', buttons: ['approve', 'reject'] }));
    expect(actionIds(m)).toEqual([ACTION_IDS.approve, ACTION_IDS.reject]);
    const approve = (m.blocks as any[]).find((b) => b.type === 'actions').elements[0];
    expect(approve.style).toBe('primary');
    expect(approve.confirm).toBeTruthy();
    expect(allText(m)).toContain('erasure');
  });

  it('mailbox alert and deadline reminder', () => {
    const alert = taskMessage(view({ kind: 'mailbox-alert', recordRef: null, title: 'IMAP login fails', details: { mailbox: 'INBOX', problem: 'AUTHENTICATIONFAILED', since: '12:00' }, buttons: ['assign', 'close'] }));
    expect(allText(alert)).toContain('AUTHENTICATIONFAILED');
    const remind = taskMessage(view({ kind: 'deadline-reminder', recordRef: 'PRV-000002', title: 'Answer due in 3 days', details: { dueDate: '2026-12-26', daysLeft: 3 }, buttons: ['assign'] }));
    expect(allText(remind)).toContain('2026-12-26');
  });

  it('decided version: no buttons, "Approved by <name>" with the time', () => {
    const at = new Date('2026-11-26T12:03:00Z');
    const m = decidedMessage(view({ kind: 'approval', actionKind: 'data-export', state: 'approved', decidedBy: 'kari', decidedAt: at, version: 2 }));
    expect(actionIds(m)).toEqual([]);
    expect(m.blocks.some((b: any) => b.type === 'actions')).toBe(false);
    const t = allText(m);
    expect(t).toContain('Approved* by kari');
    expect(t).toContain(`<!date^${at.getTime() / 1000}^`);
    expect(t).toContain('2026-11-26 12:03 UTC');
    const r = taskMessage(view({ kind: 'approval', actionKind: 'erasure', state: 'rejected', decidedBy: 'ola', decidedAt: at, reason: 'Needs legal review' }));
    expect(allText(r)).toContain('Rejected* by ola');
    expect(allText(r)).toContain('Needs legal review');
    const routed = taskMessage(view({ kind: 'triage', state: 'done', decidedBy: 'ola', decidedAt: at }), [{ at, actorName: 'ola', action: 'reclassified', detail: { route: 'sales' } }]);
    expect(allText(routed)).toContain('Sent to sales');
    expect(() => decidedMessage(view({}))).toThrow();
  });

  it('assigned tasks say who has them and keep working buttons', () => {
    const m = taskMessage(view({ assigneeName: 'kari', version: 2 }));
    expect(allText(m)).toContain('kari');
    const labels = (m.blocks as any[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements.map((e: any) => e.text.text));
    expect(labels).toContain('Take over');
    expect(JSON.stringify(m.blocks)).toContain('T-000007@2');
  });

  it('reject modal asks for a reason; reply modal has a multiline input', () => {
    const r = rejectModal(view({ kind: 'approval', actionKind: 'erasure', version: 3 })) as any;
    expect(r.type).toBe('modal');
    expect(r.callback_id).toBe(VIEW_IDS.reject);
    expect(r.title.text.length).toBeLessThanOrEqual(24);
    const input = r.blocks.find((b: any) => b.type === 'input');
    expect(input.block_id).toBe(INPUT_IDS.reason);
    expect(input.element.type).toBe('plain_text_input');
    expect(parseModalMeta(r.private_metadata)).toEqual({ publicId: 'T-000007', version: 3 });
    const p = replyModal(view({})) as any;
    expect(p.callback_id).toBe(VIEW_IDS.reply);
    expect(p.blocks.find((b: any) => b.type === 'input').element.multiline).toBe(true);
  });

  it('button values and task refs round-trip', () => {
    expect(parseButtonValue(buttonValue({ publicId: 'T-000123', version: 4 }))).toEqual({ publicId: 'T-000123', version: 4 });
    expect(parseButtonValue('garbage value')).toBeNull();
    expect(parseTaskRef('T-123')).toEqual({ publicId: 'T-000123' });
    expect(parseTaskRef('t-000123')).toEqual({ publicId: 'T-000123' });
    expect(parseTaskRef('42')).toEqual({ taskId: '42' });
  });
});

describe('slack request signatures', () => {
  const secret = 'signing-secret-for-tests';
  it('accepts what Slack signs, refuses forged, unsigned and stale requests', () => {
    const body = 'payload=%7B%7D';
    const h = signSlackRequest(body, secret);
    expect(verifySlackSignature(secret, body, h['x-slack-signature'], h['x-slack-request-timestamp'])).toEqual({ ok: true });
    expect(verifySlackSignature(secret, body + 'x', h['x-slack-signature'], h['x-slack-request-timestamp'])).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifySlackSignature('other', body, h['x-slack-signature'], h['x-slack-request-timestamp']).ok).toBe(false);
    expect(verifySlackSignature(secret, body, undefined, undefined)).toEqual({ ok: false, reason: 'missing' });
    const old = signSlackRequest(body, secret, Date.now() / 1000 - 6 * 60);
    expect(verifySlackSignature(secret, body, old['x-slack-signature'], old['x-slack-request-timestamp'])).toEqual({ ok: false, reason: 'stale' });
    const future = signSlackRequest(body, secret, Date.now() / 1000 + 6 * 60);
    expect(verifySlackSignature(secret, body, future['x-slack-signature'], future['x-slack-request-timestamp']).ok).toBe(false);
  });
});
