import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/** This process's name among the instances sharing a database (its application_name). */
export function newInstanceId(): string {
  return `mailroom:${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
