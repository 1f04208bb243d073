import { parseArgs } from 'node:util';
import { AuditTrail } from '../../events/index.js';
import type { StateStore } from '../../store/index.js';

/** `signer audit [--event-name N] [--account-id A] [--since ISO] [--limit N]`: CloudTrail-shaped records, newest first, one JSON per line. */
export async function runAudit(argv: string[], store: StateStore, out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'event-name': { type: 'string' }, 'account-id': { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } } });
  const since = values.since ? new Date(values.since) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new Error('--since must be an ISO-8601 time');
  const records = await store.queryAudit(
    { eventName: values['event-name'], accountId: values['account-id'], since },
    values.limit ? Number(values.limit) : 100,
  );
  for (const r of records) out(JSON.stringify(AuditTrail.toCloudTrail(r)) + '\n');
  return 0;
}
