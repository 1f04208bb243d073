import { randomUUID } from 'node:crypto';
import { iotArn } from './arns.js';
import { IotError } from './iot-error.js';
import { decode, encode, type IotDb } from './iot-store.js';
import type { IotContext, Paged, Thing, ThingGroup, ThingService } from './iot.types.js';
import { pageWindow, toPage } from './pagination.js';
import { checkThingName } from './validate.js';

/** Hook the jobs service installs so CONTINUOUS jobs reach a thing added to a group later. */
export type MembershipListener = (ctx: IotContext, thingName: string, thingGroupName: string) => void;

export class SqliteThingService implements ThingService {
  private readonly membershipListeners: MembershipListener[] = [];
  constructor(private readonly d: IotDb) {}

  onMembershipAdded(listener: MembershipListener): void {
    this.membershipListeners.push(listener);
  }

  getThing(ctx: IotContext, thingName: string): Thing | undefined {
    const row = this.d.q('SELECT data FROM iot_things WHERE account_id = ? AND thing_name = ?').get(ctx.accountId, thingName) as { data: string } | undefined;
    return row ? decode<Thing>(row.data) : undefined;
  }
  requireThing(ctx: IotContext, thingName: string): Thing {
    const t = this.getThing(ctx, thingName);
    if (!t) throw new IotError('ResourceNotFoundException', `Thing ${thingName} cannot be found.`);
    return t;
  }
  getGroup(ctx: IotContext, name: string): ThingGroup | undefined {
    const row = this.d.q('SELECT data FROM iot_thing_groups WHERE account_id = ? AND group_name = ?').get(ctx.accountId, name) as { data: string } | undefined;
    return row ? decode<ThingGroup>(row.data) : undefined;
  }
  requireGroup(ctx: IotContext, name: string): ThingGroup {
    const g = this.getGroup(ctx, name);
    if (!g) throw new IotError('ResourceNotFoundException', `Thing group ${name} cannot be found.`);
    return g;
  }
  /** Direct members of a group and of all its descendants. */
  membersOf(ctx: IotContext, groupName: string, recursive = true): string[] {
    const groups = recursive ? this.descendants(ctx, groupName) : [groupName];
    const out = new Set<string>();
    for (const g of groups) {
      for (const t of this.d.q('SELECT thing_name FROM iot_group_members WHERE account_id = ? AND group_name = ? ORDER BY thing_name').pluck().all(ctx.accountId, g) as string[]) out.add(t);
    }
    return [...out];
  }
  /** The group and every group below it. */
  descendants(ctx: IotContext, groupName: string): string[] {
    const out = [groupName];
    for (let i = 0; i < out.length; i++) {
      out.push(...(this.d.q('SELECT group_name FROM iot_thing_groups WHERE account_id = ? AND parent_name = ?').pluck().all(ctx.accountId, out[i]) as string[]));
    }
    return out;
  }
  /** The groups a thing is in, with their ancestors (a job on a parent group reaches it). */
  groupsOfThing(ctx: IotContext, thingName: string): string[] {
    const out = this.d.q('SELECT group_name FROM iot_group_members WHERE account_id = ? AND thing_name = ?').pluck().all(ctx.accountId, thingName) as string[];
    for (let i = 0; i < out.length; i++) {
      const parent = this.getGroup(ctx, out[i] as string)?.parentGroupName;
      if (parent && !out.includes(parent)) out.push(parent);
    }
    return out;
  }

  async createThing(ctx: IotContext, input: { thingName: string; thingTypeName?: string; attributePayload?: { attributes?: Record<string, string> } }): Promise<Thing> {
    checkThingName(input.thingName);
    const attributes = { ...(input.attributePayload?.attributes ?? {}) };
    const existing = this.getThing(ctx, input.thingName);
    if (existing) {
      // CreateThing is idempotent for an identical request (AWS); a different one is a conflict.
      if (JSON.stringify(existing.attributes) === JSON.stringify(attributes) && existing.thingTypeName === input.thingTypeName) return existing;
      throw new IotError('ResourceAlreadyExistsException', `Thing ${input.thingName} already exists with different attributes.`);
    }
    const thing: Thing = {
      thingName: input.thingName,
      thingId: randomUUID(),
      thingArn: iotArn(ctx, 'thing', input.thingName),
      ...(input.thingTypeName !== undefined ? { thingTypeName: input.thingTypeName } : {}),
      attributes,
      version: 1,
      createdAt: new Date(),
    };
    this.d.q('INSERT INTO iot_things (account_id, thing_name, data) VALUES (?, ?, ?)').run(ctx.accountId, thing.thingName, encode(thing));
    return thing;
  }

  async describeThing(ctx: IotContext, thingName: string): Promise<Thing> {
    return this.requireThing(ctx, thingName);
  }

  async listThings(ctx: IotContext, input: { nextToken?: string; maxResults?: number; attributeName?: string; attributeValue?: string; thingTypeName?: string }): Promise<Paged<Thing>> {
    const { offset, limit } = pageWindow(input);
    const all = (this.d.q('SELECT data FROM iot_things WHERE account_id = ? ORDER BY thing_name').pluck().all(ctx.accountId) as string[]).map((s) => decode<Thing>(s));
    const filtered = all.filter(
      (t) =>
        (input.thingTypeName === undefined || t.thingTypeName === input.thingTypeName) &&
        (input.attributeName === undefined || (input.attributeValue === undefined ? input.attributeName in t.attributes : t.attributes[input.attributeName] === input.attributeValue)),
    );
    return toPage(filtered.slice(offset, offset + limit + 1), offset, limit);
  }

  async updateThing(
    ctx: IotContext,
    input: { thingName: string; thingTypeName?: string; removeThingType?: boolean; attributePayload?: { attributes?: Record<string, string>; merge?: boolean }; expectedVersion?: number },
  ): Promise<Thing> {
    return this.d.tx(() => {
      const thing = this.requireThing(ctx, input.thingName);
      if (input.expectedVersion !== undefined && input.expectedVersion !== thing.version) {
        throw new IotError('VersionConflictException', `The version of thing ${input.thingName} is ${thing.version}, not ${input.expectedVersion}.`);
      }
      if (input.removeThingType && input.thingTypeName !== undefined) throw new IotError('InvalidRequestException', 'removeThingType and thingTypeName cannot both be given.');
      const next: Thing = { ...thing, version: thing.version + 1 };
      if (input.removeThingType) delete next.thingTypeName;
      else if (input.thingTypeName !== undefined) next.thingTypeName = input.thingTypeName;
      if (input.attributePayload?.attributes) {
        const base = input.attributePayload.merge ? { ...thing.attributes } : {};
        for (const [k, v] of Object.entries(input.attributePayload.attributes)) {
          if (v === '') delete base[k];
          else base[k] = v;
        }
        next.attributes = base;
      }
      this.d.q('UPDATE iot_things SET data = ? WHERE account_id = ? AND thing_name = ?').run(encode(next), ctx.accountId, input.thingName);
      return next;
    });
  }

  async deleteThing(ctx: IotContext, input: { thingName: string; expectedVersion?: number }): Promise<void> {
    this.d.tx(() => {
      const thing = this.getThing(ctx, input.thingName);
      if (!thing) return; // DeleteThing of a missing thing succeeds (AWS).
      if (input.expectedVersion !== undefined && input.expectedVersion !== thing.version) {
        throw new IotError('VersionConflictException', `The version of thing ${input.thingName} is ${thing.version}, not ${input.expectedVersion}.`);
      }
      const principals = this.d.q('SELECT COUNT(*) FROM iot_principals WHERE account_id = ? AND thing_name = ?').pluck().get(ctx.accountId, input.thingName) as number;
      if (principals > 0) throw new IotError('InvalidRequestException', `Thing ${input.thingName} still has ${principals} principal(s) attached; detach them first.`);
      this.d.q('DELETE FROM iot_group_members WHERE account_id = ? AND thing_name = ?').run(ctx.accountId, input.thingName);
      this.d.q('DELETE FROM iot_things WHERE account_id = ? AND thing_name = ?').run(ctx.accountId, input.thingName);
    });
  }

  async createThingGroup(ctx: IotContext, input: { thingGroupName: string; parentGroupName?: string; thingGroupProperties?: ThingGroup['thingGroupProperties'] }): Promise<ThingGroup> {
    checkThingName(input.thingGroupName, 'thingGroupName');
    return this.d.tx(() => {
      const existing = this.getGroup(ctx, input.thingGroupName);
      if (existing) {
        if (existing.parentGroupName === input.parentGroupName && JSON.stringify(existing.thingGroupProperties) === JSON.stringify(input.thingGroupProperties ?? {})) return existing;
        throw new IotError('ResourceAlreadyExistsException', `Thing group ${input.thingGroupName} already exists with different properties.`);
      }
      if (input.parentGroupName !== undefined) this.requireGroup(ctx, input.parentGroupName);
      const group: ThingGroup = {
        thingGroupName: input.thingGroupName,
        thingGroupId: randomUUID(),
        thingGroupArn: iotArn(ctx, 'thinggroup', input.thingGroupName),
        ...(input.parentGroupName !== undefined ? { parentGroupName: input.parentGroupName } : {}),
        thingGroupProperties: input.thingGroupProperties ?? {},
        version: 1,
        createdAt: new Date(),
      };
      this.d.q('INSERT INTO iot_thing_groups (account_id, group_name, parent_name, data) VALUES (?, ?, ?, ?)').run(ctx.accountId, group.thingGroupName, group.parentGroupName ?? null, encode(group));
      return group;
    });
  }

  async describeThingGroup(ctx: IotContext, thingGroupName: string): Promise<ThingGroup> {
    return this.requireGroup(ctx, thingGroupName);
  }

  async listThingGroups(ctx: IotContext, input: { nextToken?: string; maxResults?: number; parentGroup?: string; namePrefixFilter?: string; recursive?: boolean }): Promise<Paged<ThingGroup>> {
    const { offset, limit } = pageWindow(input);
    let groups = (this.d.q('SELECT data FROM iot_thing_groups WHERE account_id = ? ORDER BY group_name').pluck().all(ctx.accountId) as string[]).map((s) => decode<ThingGroup>(s));
    if (input.parentGroup !== undefined) {
      const under = input.recursive === false ? undefined : new Set(this.descendants(ctx, input.parentGroup));
      groups = groups.filter((g) => g.thingGroupName !== input.parentGroup && (under ? under.has(g.thingGroupName) : g.parentGroupName === input.parentGroup));
    }
    if (input.namePrefixFilter !== undefined) groups = groups.filter((g) => g.thingGroupName.startsWith(input.namePrefixFilter as string));
    return toPage(groups.slice(offset, offset + limit + 1), offset, limit);
  }

  async addThingToThingGroup(ctx: IotContext, input: { thingName: string; thingGroupName: string }): Promise<void> {
    const added = this.d.tx(() => {
      this.requireThing(ctx, input.thingName);
      this.requireGroup(ctx, input.thingGroupName);
      return this.d.q('INSERT OR IGNORE INTO iot_group_members (account_id, group_name, thing_name) VALUES (?, ?, ?)').run(ctx.accountId, input.thingGroupName, input.thingName).changes > 0;
    });
    if (added) for (const l of this.membershipListeners) l(ctx, input.thingName, input.thingGroupName);
  }

  async removeThingFromThingGroup(ctx: IotContext, input: { thingName: string; thingGroupName: string }): Promise<void> {
    this.requireThing(ctx, input.thingName);
    this.requireGroup(ctx, input.thingGroupName);
    this.d.q('DELETE FROM iot_group_members WHERE account_id = ? AND group_name = ? AND thing_name = ?').run(ctx.accountId, input.thingGroupName, input.thingName);
  }

  async listThingsInThingGroup(ctx: IotContext, input: { nextToken?: string; maxResults?: number; thingGroupName: string; recursive?: boolean }): Promise<Paged<string>> {
    const { offset, limit } = pageWindow(input);
    this.requireGroup(ctx, input.thingGroupName);
    const names = this.membersOf(ctx, input.thingGroupName, input.recursive ?? false).sort();
    return toPage(names.slice(offset, offset + limit + 1), offset, limit);
  }

  async listThingGroupsForThing(ctx: IotContext, input: { nextToken?: string; maxResults?: number; thingName: string }): Promise<Paged<ThingGroup>> {
    const { offset, limit } = pageWindow(input);
    this.requireThing(ctx, input.thingName);
    const names = this.d.q('SELECT group_name FROM iot_group_members WHERE account_id = ? AND thing_name = ? ORDER BY group_name').pluck().all(ctx.accountId, input.thingName) as string[];
    return toPage(names.slice(offset, offset + limit + 1).map((n) => this.requireGroup(ctx, n)), offset, limit);
  }
}
