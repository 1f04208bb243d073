/**
 * `$aws/events/job/…` and `$aws/events/jobExecution/…` as a monitoring tool sees them: the `mqtt`
 * package on the plain listener, subscribed to `$aws/events/#`, while devices report over mutual TLS
 * and an operator cancels and deletes through the control plane. Payloads in the documented shape.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, provisionDevice, Recorder } from './support/mqtt.js';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
let tool: MqttClient;
let events: Recorder;
const clients: MqttClient[] = [];
const arn = (thing: string) => `arn:aws:iot:${t.server.iotContext.region}:${t.server.iotContext.accountId}:thing/${thing}`;

beforeAll(async () => {
  t = await startTestServer();
  tool = await connectAsync(t.server.mqtt.plainUrl!, { clientId: 'monitor', reconnectPeriod: 0 });
  clients.push(tool);
  events = new Recorder(tool);
  await tool.subscribeAsync('$aws/events/#', { qos: 1 });
});
afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  await t?.stop();
});

/** A device that reports `statuses` in order for `jobId` (each acknowledged before the next). */
async function report(thing: string, identity: { cert: string; key: string }, jobId: string, statuses: string[]): Promise<void> {
  const c = await connectDevice(t.server, thing, identity);
  clients.push(c);
  const r = new Recorder(c);
  await c.subscribeAsync(`$aws/things/${thing}/jobs/${jobId}/update/+`, { qos: 1 });
  for (const [i, s] of statuses.entries()) {
    await c.publishAsync(`$aws/things/${thing}/jobs/${jobId}/update`, JSON.stringify({ status: s, statusDetails: { step: String(i) } }), { qos: 1 });
    await r.next((m) => m.topic === `$aws/things/${thing}/jobs/${jobId}/update/accepted`, { from: i });
  }
}
const event = async (topic: string) => JSON.parse((await events.next((m) => m.topic === topic, { timeoutMs: 60_000 })).payload.toString()) as Record<string, unknown>;

describe('$aws/events', () => {
  it('succeeded, failed and rejected executions, then the job completed with its counts', async () => {
    const ids = await Promise.all(['ev-a', 'ev-b', 'ev-c'].map((n) => provisionDevice(t.server, n)));
    await t.server.iot.jobs.createJob(t.server.iotContext, { jobId: 'ev-job-1', targets: ['ev-a', 'ev-b', 'ev-c'].map(arn), document: '{"op":"x"}', description: 'events test' });
    await report('ev-a', ids[0]!, 'ev-job-1', ['IN_PROGRESS', 'SUCCEEDED']);
    await report('ev-b', ids[1]!, 'ev-job-1', ['IN_PROGRESS', 'FAILED']);
    await report('ev-c', ids[2]!, 'ev-job-1', ['REJECTED']);

    const ok = await event('$aws/events/jobExecution/ev-job-1/succeeded');
    expect(ok).toMatchObject({ eventType: 'JOB_EXECUTION', operation: 'succeeded', jobId: 'ev-job-1', thingArn: arn('ev-a'), status: 'SUCCEEDED', statusDetails: { step: '1' } });
    expect(ok.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof ok.timestamp).toBe('number');
    expect(await event('$aws/events/jobExecution/ev-job-1/failed')).toMatchObject({ operation: 'failed', thingArn: arn('ev-b'), status: 'FAILED' });
    expect(await event('$aws/events/jobExecution/ev-job-1/rejected')).toMatchObject({ operation: 'rejected', thingArn: arn('ev-c'), status: 'REJECTED' });

    const done = await event('$aws/events/job/ev-job-1/completed');
    expect(done).toMatchObject({
      eventType: 'JOB',
      operation: 'completed',
      jobId: 'ev-job-1',
      status: 'COMPLETED',
      targetSelection: 'SNAPSHOT',
      targets: ['ev-a', 'ev-b', 'ev-c'].map(arn),
      description: 'events test',
      jobProcessDetails: { numberOfSucceededThings: 1, numberOfFailedThings: 1, numberOfRejectedThings: 1, numberOfCanceledThings: 0, numberOfRemovedThings: 0 },
    });
    expect(done.completedAt as number).toBeGreaterThanOrEqual(done.createdAt as number);
    expect(events.messages.filter((m) => m.topic === '$aws/events/job/ev-job-1/completed')).toHaveLength(1);
  });

  it('a forced cancel: canceled executions and the job canceled with its reason; a timed-out execution; removed and deleted', async () => {
    const ids = await Promise.all(['ev-d', 'ev-e'].map((n) => provisionDevice(t.server, n)));
    const ctx = t.server.iotContext;
    await t.server.iot.jobs.createJob(ctx, { jobId: 'ev-job-2', targets: ['ev-d', 'ev-e'].map(arn), document: '{}' });
    await report('ev-d', ids[0]!, 'ev-job-2', ['IN_PROGRESS']);
    await t.server.iot.jobs.cancelJob(ctx, { jobId: 'ev-job-2', force: true, reasonCode: 'BAD_BUILD', comment: 'pulled' });
    const canceledExec = await event('$aws/events/jobExecution/ev-job-2/canceled');
    expect(canceledExec).toMatchObject({ eventType: 'JOB_EXECUTION', operation: 'canceled', status: 'CANCELED' });
    expect(await event('$aws/events/job/ev-job-2/canceled')).toMatchObject({ eventType: 'JOB', operation: 'canceled', status: 'CANCELED', reasonCode: 'BAD_BUILD', comment: 'pulled', targets: ['ev-d', 'ev-e'].map(arn) });
    // Both executions canceled (one was IN_PROGRESS: force), each with its own event.
    await events.all((m) => m.topic === '$aws/events/jobExecution/ev-job-2/canceled', 2, 60_000);

    // Timed out: the execution's timer ran out (the service's clock moved on).
    await t.server.iot.jobs.createJob(ctx, { jobId: 'ev-job-3', targets: [arn('ev-d')], document: '{}', timeoutConfig: { inProgressTimeoutInMinutes: 1 } });
    await report('ev-d', ids[0]!, 'ev-job-3', ['IN_PROGRESS']);
    await t.server.iot.tick(new Date(Date.now() + 5 * 60_000));
    expect(await event('$aws/events/jobExecution/ev-job-3/timed_out')).toMatchObject({ operation: 'timed_out', thingArn: arn('ev-d'), status: 'TIMED_OUT' });
    // The terminal execution deleted: `deleted`.
    await t.server.iot.jobs.deleteJobExecution(ctx, { jobId: 'ev-job-3', thingName: 'ev-d', executionNumber: 1 });
    expect(await event('$aws/events/jobExecution/ev-job-3/deleted')).toMatchObject({ operation: 'deleted', jobId: 'ev-job-3', thingArn: arn('ev-d') });

    // A job deleted with a QUEUED execution: that execution `removed`, the job `deleted`.
    await t.server.iot.jobs.createJob(ctx, { jobId: 'ev-job-4', targets: [arn('ev-e')], document: '{}' });
    await t.server.iot.jobs.deleteJob(ctx, { jobId: 'ev-job-4', force: true });
    expect(await event('$aws/events/jobExecution/ev-job-4/removed')).toMatchObject({ operation: 'removed', thingArn: arn('ev-e'), status: 'REMOVED' });
    expect(await event('$aws/events/job/ev-job-4/deleted')).toMatchObject({ eventType: 'JOB', operation: 'deleted', jobId: 'ev-job-4', status: 'DELETION_IN_PROGRESS' });
  });
});
