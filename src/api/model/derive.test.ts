import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveModel, IOT_JOBS_DATA_OPERATIONS, IOT_OPERATIONS } from './derive.js';

const service = {
  metadata: { apiVersion: '2020-01-01', protocol: 'rest-json', signingName: 'x', endpointPrefix: 'x', serviceId: 'X', documentation: 'prose' },
  operations: {
    Keep: { http: { method: 'GET', requestUri: '/k/{id}' }, input: { shape: 'KeepIn' }, output: { shape: 'KeepOut' }, errors: [{ shape: 'Boom' }], documentation: 'prose' },
    Drop: { http: { method: 'GET', requestUri: '/d' }, input: { shape: 'DropIn' } },
  },
  shapes: {
    KeepIn: { type: 'structure', required: ['id'], members: { id: { shape: 'Id', location: 'uri', locationName: 'id', documentation: 'prose' } } },
    KeepOut: { type: 'structure', members: { items: { shape: 'Items' } } },
    Items: { type: 'list', member: { shape: 'Item' } },
    Item: { type: 'map', key: { shape: 'Id' }, value: { shape: 'Id' } },
    Id: { type: 'string', min: 1, max: 8, pattern: '[a-z]+', documentation: 'prose' },
    Boom: { type: 'structure', members: { message: { shape: 'Id' } }, error: { httpStatusCode: 418 }, exception: true },
    DropIn: { type: 'structure', members: { x: { shape: 'Unused' } } },
    Unused: { type: 'string' },
  },
};

describe('deriveModel', () => {
  it('keeps every operation and shape without prose when no list is given', () => {
    const m = deriveModel(service) as { operations: Record<string, unknown>; shapes: Record<string, unknown> };
    expect(Object.keys(m.operations).sort()).toEqual(['Drop', 'Keep']);
    expect(Object.keys(m.shapes)).toHaveLength(8);
    expect(JSON.stringify(m)).not.toContain('prose');
  });

  it('with a list, keeps those operations and exactly the shapes they reach (members, list members, map keys and values, errors)', () => {
    const m = deriveModel(service, { operations: ['Keep'] }) as { operations: Record<string, unknown>; shapes: Record<string, unknown> };
    expect(Object.keys(m.operations)).toEqual(['Keep']);
    expect(Object.keys(m.shapes).sort()).toEqual(['Boom', 'Id', 'Item', 'Items', 'KeepIn', 'KeepOut']);
    expect(m.shapes.Id).toEqual({ type: 'string', min: 1, max: 8, pattern: '[a-z]+' });
    expect(JSON.stringify(m)).not.toContain('prose');
  });

  it('refuses an operation the model does not have', () => {
    expect(() => deriveModel(service, { operations: ['Nope'] })).toThrow(/no operation Nope/);
  });

  it('the committed IoT models hold exactly the implemented operations, and no documentation', () => {
    for (const [file, ops] of [['iot-model.json', IOT_OPERATIONS], ['iot-jobs-data-model.json', IOT_JOBS_DATA_OPERATIONS]] as const) {
      const text = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
      const m = JSON.parse(text) as { operations: Record<string, unknown> };
      expect(Object.keys(m.operations).sort()).toEqual([...ops].sort());
      expect(text).not.toMatch(/"documentation"|<p>/);
    }
  });
});
