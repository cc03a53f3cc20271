// Interaction payloads shaped as Slack sends them (block_actions, view_submission), for the
// unit-level Slack tests and the daemon-level ones alike. Sign them with slackInteractionRequest.
import { BOT } from './slack-fake.ts';
import { buttonValue } from '../../src/slack/block-kit.ts';

export interface SlackTestUser {
  id: string;
  username: string;
}

/** A click on a task message's button. */
export function blockActionsPayload(o: { publicId: string; version: number; channel: string; channelName: string; messageTs: string; user: SlackTestUser; actionId: string }) {
  return {
    type: 'block_actions',
    team: { id: BOT.team_id, domain: 'infracomfort' },
    user: { ...o.user, name: o.user.username, team_id: BOT.team_id },
    api_app_id: BOT.app_id,
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: o.messageTs, channel_id: o.channel, is_ephemeral: false },
    trigger_id: `1337.42.${Math.random().toString(16).slice(2)}`,
    channel: { id: o.channel, name: o.channelName },
    message: { type: 'message', ts: o.messageTs, bot_id: BOT.bot_id, text: 'task' },
    response_url: 'https://hooks.slack.com/actions/T0/1/x',
    actions: [
      {
        type: 'button',
        action_id: o.actionId,
        block_id: `task_${o.publicId}`,
        value: buttonValue({ publicId: o.publicId, version: o.version }),
        action_ts: String(Date.now() / 1000),
        text: { type: 'plain_text', text: 'x' },
      },
    ],
  };
}

/** A modal submitted with plain-text inputs (`values`: input id → text). */
export function viewSubmissionPayload(view: { id: string; callback_id: string; private_metadata: string; hash?: string }, user: SlackTestUser, values: Record<string, string>) {
  return {
    type: 'view_submission',
    team: { id: BOT.team_id, domain: 'infracomfort' },
    user: { ...user, name: user.username, team_id: BOT.team_id },
    api_app_id: BOT.app_id,
    token: 'legacy-verification-token',
    trigger_id: '1337.42.view',
    view: {
      id: view.id,
      team_id: BOT.team_id,
      type: 'modal',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      hash: view.hash ?? '1700000000.abcdef',
      blocks: [],
      state: { values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { [k]: { type: 'plain_text_input', value: v } }])) },
    },
    response_urls: [],
  };
}
