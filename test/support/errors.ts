/** Assertions on what an SDK user sees when a call fails. */
import { expect } from 'vitest';

export interface SdkErrorView {
  name: string;
  status: number | undefined;
  requestId: string | undefined;
  message: string;
}

/** Awaits `p`, which must reject with a service error; returns what the caller sees. */
export async function sdkError(p: Promise<unknown>): Promise<SdkErrorView> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, requestId: err.$metadata?.requestId, message: err.message };
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** The call fails with error `name`, HTTP `status`, a request id, and (optionally) a message matching `message`. */
export async function expectSdkError(p: Promise<unknown>, name: string, status: number, message?: RegExp | string): Promise<SdkErrorView> {
  const e = await sdkError(p);
  expect({ name: e.name, status: e.status }).toEqual({ name, status });
  expect(e.requestId).toMatch(/\S/);
  if (message !== undefined) expect(e.message).toMatch(message);
  return e;
}
