/** Official AWS IoT SDK clients (control plane and Jobs data plane) against a test server's endpoint. */
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTJobsDataPlaneClient } from '@aws-sdk/client-iot-jobs-data-plane';
import type { TestAccount, TestServer } from './server.js';

export function iotClient(t: TestServer, who: TestAccount = t.admin): IoTClient {
  return new IoTClient({
    endpoint: t.url,
    region: t.server.config.region,
    credentials: { accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey },
    maxAttempts: 1,
  });
}

export function jobsDataClient(t: TestServer, who: TestAccount = t.admin): IoTJobsDataPlaneClient {
  return new IoTJobsDataPlaneClient({
    endpoint: t.url,
    region: t.server.config.region,
    credentials: { accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey },
    maxAttempts: 1,
  });
}

/** Every page of a list call, following its token. */
export async function allPages<P, T>(fetch: (token: string | undefined) => Promise<P>, items: (p: P) => T[] | undefined, token: (p: P) => string | undefined): Promise<{ items: T[]; pages: number }> {
  const all: T[] = [];
  let next: string | undefined;
  let pages = 0;
  do {
    const p = await fetch(next);
    pages++;
    all.push(...(items(p) ?? []));
    next = token(p);
    if (pages > 1000) throw new Error('pagination does not end');
  } while (next);
  return { items: all, pages };
}
