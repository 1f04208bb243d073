import type { IotContext } from './iot.types.js';

export type IotResource = 'thing' | 'thinggroup' | 'cert' | 'stream' | 'job' | 'otaupdate';

export function iotArn(ctx: IotContext, resource: IotResource, id: string): string {
  return `arn:aws:iot:${ctx.region}:${ctx.accountId}:${resource}/${id}`;
}

/** `arn:aws:iot:<region>:<account>:<resource>/<id>` → its parts, or undefined. */
export function parseIotArn(arn: string): { region: string; accountId: string; resource: IotResource; id: string } | undefined {
  const m = /^arn:aws[a-z-]*:iot:([a-z0-9-]*):(\d{12}):(thing|thinggroup|cert|stream|job|otaupdate)\/(.+)$/.exec(arn);
  if (!m) return undefined;
  return { region: m[1] as string, accountId: m[2] as string, resource: m[3] as IotResource, id: m[4] as string };
}
