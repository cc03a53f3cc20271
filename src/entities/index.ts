import { OutboxMessage } from './outbox-message.ts';

export { OutboxMessage };

export const allEntities = [OutboxMessage];
