import { IotError } from './iot-error.js';

const NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const JOB_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const STREAM_ID = /^[a-zA-Z0-9_-]{1,128}$/;
const DETAIL_KEY = /^[a-zA-Z0-9:_-]{1,128}$/;

function check(ok: boolean, message: string): void {
  if (!ok) throw new IotError('InvalidRequestException', message);
}

export function checkThingName(name: unknown, what = 'thingName'): asserts name is string {
  check(typeof name === 'string' && NAME.test(name), `${what} must match [a-zA-Z0-9:_-]+ and be 1 to 128 characters long.`);
}
export function checkJobId(id: unknown): asserts id is string {
  check(typeof id === 'string' && JOB_ID.test(id), 'jobId must match [a-zA-Z0-9_-]+ and be 1 to 64 characters long.');
}
export function checkStreamId(id: unknown): asserts id is string {
  check(typeof id === 'string' && STREAM_ID.test(id), 'streamId must match [a-zA-Z0-9_-]+ and be 1 to 128 characters long.');
}

/** Jobs `statusDetails`: at most 10 string → string entries, keys [a-zA-Z0-9:_-]{1,128}, values 1–1024 characters. */
export function checkStatusDetails(details: unknown): asserts details is Record<string, string> {
  check(typeof details === 'object' && details !== null && !Array.isArray(details), 'statusDetails must be an object of strings.');
  const entries = Object.entries(details as object);
  check(entries.length <= 10, 'statusDetails has more than 10 entries.');
  for (const [k, v] of entries) {
    check(DETAIL_KEY.test(k), `statusDetails key "${k.slice(0, 140)}" must match [a-zA-Z0-9:_-]+ and be 1 to 128 characters long.`);
    check(typeof v === 'string' && v.length >= 1 && v.length <= 1024, `statusDetails value of "${k}" must be a string of 1 to 1024 characters.`);
  }
}

export function checkMinutes(value: unknown, what: string, min: number, max: number): asserts value is number {
  check(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max, `${what} must be an integer from ${min} to ${max}.`);
}
