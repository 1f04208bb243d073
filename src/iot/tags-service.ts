/**
 * Tags on IoT resources (TagResource, UntagResource, ListTagsForResource, and the `tags` of the
 * Create* calls), kept in their own migration scope `iot-tags` beside the other IoT tables. A
 * resource must exist in the caller's account to be tagged; taggable here: thing groups, streams,
 * jobs and OTA updates (AWS tags neither things nor certificates).
 */
import type { Statement } from 'better-sqlite3';
import { migrate, type Migration, type SqliteDatabase } from '../store/sqlite.js';
import { parseIotArn, type IotResource } from './arns.js';
import { IotError } from './iot-error.js';
import type { IotContext, IotServices, Paged, PageRequest, Tags } from './iot.types.js';
import { pageWindow, toPage } from './pagination.js';

const TAG_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: 'tags of IoT resources',
    sql: `CREATE TABLE iot_tags (account_id TEXT NOT NULL, resource_arn TEXT NOT NULL, tag_key TEXT NOT NULL, tag_value TEXT,
            PRIMARY KEY (account_id, resource_arn, tag_key));`,
  },
]);

/** AWS IoT's limit of user tags per resource. */
export const MAX_TAGS_PER_RESOURCE = 50;

export interface TagService {
  /** Checks a Create* call's tags before the resource is made, so a bad tag list creates nothing. */
  checkTags(tags: Tags | undefined): void;
  tagResource(ctx: IotContext, resourceArn: string, tags: Tags): Promise<void>;
  untagResource(ctx: IotContext, resourceArn: string, tagKeys: string[]): Promise<void>;
  listTagsForResource(ctx: IotContext, input: PageRequest & { resourceArn: string }): Promise<Paged<{ Key: string; Value?: string }>>;
  /** Forgets a deleted resource's tags (a new resource of the same name starts untagged). */
  forget(ctx: IotContext, resourceArn: string): void;
}

type Taggable = Exclude<IotResource, 'thing' | 'cert'>;

export class SqliteTagService implements TagService {
  private readonly statements = new Map<string, Statement>();
  constructor(
    private readonly db: SqliteDatabase,
    private readonly iot: Pick<IotServices, 'things' | 'streams' | 'jobs' | 'otaUpdates'>,
  ) {
    migrate(db, 'iot-tags', TAG_MIGRATIONS);
  }

  private q(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  checkTags(tags: Tags | undefined): void {
    if (!tags) return;
    const keys = new Set<string>();
    for (const t of tags) {
      if (typeof t?.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128) throw new IotError('InvalidRequestException', 'A tag key must be 1 to 128 characters.');
      if (t.Key.startsWith('aws:')) throw new IotError('InvalidRequestException', `Tag key ${t.Key}: the aws: prefix is reserved.`);
      if (t.Value !== undefined && (typeof t.Value !== 'string' || t.Value.length > 256)) throw new IotError('InvalidRequestException', `Tag ${t.Key}: a value is at most 256 characters.`);
      if (keys.has(t.Key)) throw new IotError('InvalidRequestException', `Tag key ${t.Key} appears twice.`);
      keys.add(t.Key);
    }
    if (keys.size > MAX_TAGS_PER_RESOURCE) throw new IotError('LimitExceededException', `A resource has at most ${MAX_TAGS_PER_RESOURCE} tags.`);
  }

  /** The resource must be taggable and exist in the caller's account and region. */
  private async resolve(ctx: IotContext, resourceArn: string): Promise<void> {
    const arn = parseIotArn(resourceArn);
    if (!arn) throw new IotError('InvalidRequestException', `${resourceArn} is not an AWS IoT resource ARN.`);
    if (arn.resource === 'thing' || arn.resource === 'cert') throw new IotError('InvalidRequestException', `Resources of type ${arn.resource} cannot be tagged.`);
    if (arn.accountId !== ctx.accountId || arn.region !== ctx.region) throw new IotError('ResourceNotFoundException', `${resourceArn} cannot be found.`);
    const exists: Record<Taggable, () => Promise<unknown>> = {
      thinggroup: () => this.iot.things.describeThingGroup(ctx, arn.id),
      stream: () => this.iot.streams.describeStream(ctx, arn.id),
      job: () => this.iot.jobs.describeJob(ctx, arn.id),
      otaupdate: () => this.iot.otaUpdates.getOTAUpdate(ctx, arn.id),
    };
    await exists[arn.resource as Taggable]();
  }

  async tagResource(ctx: IotContext, resourceArn: string, tags: Tags): Promise<void> {
    this.checkTags(tags);
    await this.resolve(ctx, resourceArn);
    this.db.transaction(() => {
      const have = new Set(this.q('SELECT tag_key FROM iot_tags WHERE account_id = ? AND resource_arn = ?').pluck().all(ctx.accountId, resourceArn) as string[]);
      for (const t of tags) have.add(t.Key);
      if (have.size > MAX_TAGS_PER_RESOURCE) throw new IotError('LimitExceededException', `A resource has at most ${MAX_TAGS_PER_RESOURCE} tags.`);
      const put = this.q('INSERT INTO iot_tags (account_id, resource_arn, tag_key, tag_value) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, resource_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value');
      for (const t of tags) put.run(ctx.accountId, resourceArn, t.Key, t.Value ?? null);
    })();
  }

  async untagResource(ctx: IotContext, resourceArn: string, tagKeys: string[]): Promise<void> {
    await this.resolve(ctx, resourceArn);
    const del = this.q('DELETE FROM iot_tags WHERE account_id = ? AND resource_arn = ? AND tag_key = ?');
    this.db.transaction(() => {
      for (const k of tagKeys) del.run(ctx.accountId, resourceArn, k);
    })();
  }

  async listTagsForResource(ctx: IotContext, input: PageRequest & { resourceArn: string }): Promise<Paged<{ Key: string; Value?: string }>> {
    await this.resolve(ctx, input.resourceArn);
    const { offset, limit } = pageWindow(input);
    const rows = this.q('SELECT tag_key AS Key, tag_value AS Value FROM iot_tags WHERE account_id = ? AND resource_arn = ? ORDER BY tag_key LIMIT ? OFFSET ?').all(
      ctx.accountId,
      input.resourceArn,
      limit + 1,
      offset,
    ) as { Key: string; Value: string | null }[];
    return toPage(
      rows.map((r) => (r.Value === null ? { Key: r.Key } : { Key: r.Key, Value: r.Value })),
      offset,
      limit,
    );
  }

  forget(ctx: IotContext, resourceArn: string): void {
    this.q('DELETE FROM iot_tags WHERE account_id = ? AND resource_arn = ?').run(ctx.accountId, resourceArn);
  }
}
