import { join } from 'node:path';
import { AuditTrail } from '../../events/index.js';
import { SqliteStateStore } from '../../store/index.js';
import type { CliIo } from '../io.js';
import { printTable } from '../output.js';
import type { DataDirOptions } from '../commands/common.js';

/** The options of `signer audit` (commands/audit.ts). */
export interface AuditOptions extends DataDirOptions {
  eventName?: string;
  accountId?: string;
  since?: Date;
  limit: number;
  json?: boolean;
}

export async function runAudit(io: CliIo, dataDir: string, opts: AuditOptions): Promise<number> {
  const store = SqliteStateStore.open(join(dataDir, 'state.db'));
  try {
    const records = await store.queryAudit({ eventName: opts.eventName, accountId: opts.accountId, since: opts.since }, opts.limit);
    const trail = records.map((r) => AuditTrail.toCloudTrail(r));
    if (opts.json || !io.stdoutIsTTY) {
      for (const r of trail) io.stdout(JSON.stringify(r) + '\n');
      return 0;
    }
    printTable(
      io,
      [
        { header: 'TIME', value: (r) => String(r.eventTime) },
        { header: 'EVENT', value: (r) => String(r.eventName) },
        { header: 'ACCOUNT', value: (r) => String((r.userIdentity as { accountId?: string } | undefined)?.accountId ?? '') },
        { header: 'SOURCE IP', value: (r) => String(r.sourceIPAddress ?? '') },
        { header: 'ERROR', value: (r) => String(r.errorCode ?? '') },
      ],
      trail as unknown as Record<string, unknown>[],
    );
    return 0;
  } finally {
    await store.close();
  }
}
