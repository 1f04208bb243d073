/**
 * AWS IoT reserved topic names for Jobs and MQTT file streams, and the parser the server uses to
 * route a publish. Thing names are `[a-zA-Z0-9:_-]{1,128}`, job ids `[a-zA-Z0-9_-]{1,64}`.
 */
export type StreamFormat = 'json' | 'cbor';

export const jobsTopic = {
  notifyNext: (thing: string) => `$aws/things/${thing}/jobs/notify-next`,
  notify: (thing: string) => `$aws/things/${thing}/jobs/notify`,
  get: (thing: string) => `$aws/things/${thing}/jobs/get`,
  startNext: (thing: string) => `$aws/things/${thing}/jobs/start-next`,
  /** `jobId` may be `$next`. */
  describe: (thing: string, jobId: string) => `$aws/things/${thing}/jobs/${jobId}/get`,
  update: (thing: string, jobId: string) => `$aws/things/${thing}/jobs/${jobId}/update`,
  accepted: (request: string) => `${request}/accepted`,
  rejected: (request: string) => `${request}/rejected`,
};

export const streamTopic = {
  describe: (thing: string, stream: string, fmt: StreamFormat) => `$aws/things/${thing}/streams/${stream}/describe/${fmt}`,
  description: (thing: string, stream: string, fmt: StreamFormat) => `$aws/things/${thing}/streams/${stream}/description/${fmt}`,
  get: (thing: string, stream: string, fmt: StreamFormat) => `$aws/things/${thing}/streams/${stream}/get/${fmt}`,
  data: (thing: string, stream: string, fmt: StreamFormat) => `$aws/things/${thing}/streams/${stream}/data/${fmt}`,
  rejected: (thing: string, stream: string, fmt: StreamFormat) => `$aws/things/${thing}/streams/${stream}/rejected/${fmt}`,
};

export const eventTopic = {
  job: (jobId: string, event: string) => `$aws/events/job/${jobId}/${event}`,
  jobExecution: (jobId: string, event: string) => `$aws/events/jobExecution/${jobId}/${event}`,
};

/** A device → cloud request topic the server answers. */
export type RequestTopic =
  | { api: 'jobs'; thing: string; op: 'get' }
  | { api: 'jobs'; thing: string; op: 'start-next' }
  | { api: 'jobs'; thing: string; op: 'describe'; jobId: string }
  | { api: 'jobs'; thing: string; op: 'update'; jobId: string }
  | { api: 'streams'; thing: string; op: 'describe' | 'get'; streamId: string; format: StreamFormat };

const THING = '[a-zA-Z0-9:_-]{1,128}';
const JOBS = new RegExp(`^\\$aws/things/(${THING})/jobs/(?:(get|start-next)|([^/]+)/(get|update))$`);
const STREAMS = new RegExp(`^\\$aws/things/(${THING})/streams/([^/]+)/(describe|get)/(json|cbor)$`);

/** The thing a `$aws/things/<thing>/…` topic belongs to, or undefined. */
export function thingOfTopic(topic: string): string | undefined {
  const m = /^\$aws\/things\/([^/]+)\//.exec(topic);
  return m ? m[1] : undefined;
}

/**
 * Parses a request topic. Undefined for topics that are not requests (responses, notifications,
 * anything else). A job id or stream id that is not well formed still parses; the service
 * answers it with a rejection on the matching topic.
 */
export function parseRequestTopic(topic: string): RequestTopic | undefined {
  let m = JOBS.exec(topic);
  if (m) {
    const thing = m[1] as string;
    if (m[2]) return { api: 'jobs', thing, op: m[2] as 'get' | 'start-next' };
    return m[4] === 'get' ? { api: 'jobs', thing, op: 'describe', jobId: m[3] as string } : { api: 'jobs', thing, op: 'update', jobId: m[3] as string };
  }
  m = STREAMS.exec(topic);
  if (m) return { api: 'streams', thing: m[1] as string, op: m[3] as 'describe' | 'get', streamId: m[2] as string, format: m[4] as StreamFormat };
  return undefined;
}
