import { p, type EntitySchema } from '@mikro-orm/core';

/**
 * A foreign key as the migrations declare it: PostgreSQL's default NO ACTION on update and
 * delete. MikroORM's own defaults (ON UPDATE CASCADE; ON DELETE SET NULL when nullable) are not
 * what the tables have, so every relation starts from the tables' rule and states any other
 * (`.deleteRule('cascade')`) where a migration does.
 */
export function references<Target extends EntitySchema<any, any>>(target: Target) {
  return p.manyToOne(target).ref().updateRule('no action').deleteRule('no action');
}
