import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_WEIGHTS,
  MAX_RESPONSE_PAYLOAD,
  NEUTRAL_SALIENCE,
  OPS,
  OP_NAMES,
  buildId,
  compositeSalience,
  parseCoreConfig,
  requestLengths,
  toRawSalience,
  MAX_REQUEST_PAYLOAD,
} from '../spec/index.js';

describe('salience arithmetic', () => {
  it('scores the neutral salience 115 under the default weights, as DANEEL scores 0.45', () => {
    expect(compositeSalience(NEUTRAL_SALIENCE, DEFAULT_WEIGHTS)).toBe(115);
    expect(toRawSalience({})).toEqual([...NEUTRAL_SALIENCE]);
  });

  it('uses |valence| and rounds half up', () => {
    const w = [0, 0, 0, 256, 0] as const;
    expect(compositeSalience([0, 0, 0, -128, 0], w)).toBe(128);
    expect(compositeSalience([0, 0, 0, 127, 0], w)).toBe(127);
    // 1·128 = 128 → (128 + 128) >> 8 = 1: exactly one half rounds up.
    expect(compositeSalience([128, 0, 0, 0, 0], [1, 0, 0, 0, 255])).toBe(1);
    expect(compositeSalience([127, 0, 0, 0, 0], [1, 0, 0, 0, 255])).toBe(0);
  });

  it('never exceeds a byte', () => {
    expect(compositeSalience([255, 255, 255, -128, 255], DEFAULT_WEIGHTS)).toBeLessThanOrEqual(255);
    expect(compositeSalience([255, 255, 255, 127, 255], [0, 0, 0, 0, 256] as never)).toBe(255);
  });
});

describe('core config', () => {
  it('has the documented defaults', () => {
    const c = parseCoreConfig({});
    expect(c).toMatchObject({ maxWindows: 9, minWindows: 3, weights: [...DEFAULT_WEIGHTS] });
  });

  it.each([
    [{ minWindows: 5, maxWindows: 4 }, 'minWindows'],
    [{ maxWindows: 16 }, 'maxWindows'],
    [{ weights: [51, 51, 77, 26, 52] }, 'weights'],
    [{ weights: [300, 0, 0, 0, 0] }, 'weights.0'],
    [{ capacity: 0 }, 'capacity'],
    [{ capacity: 8, quota: 9 }, 'quota'],
    [{ colour: 'red' }, ''],
  ])('refuses %j naming the field', (input, field) => {
    try {
      parseCoreConfig(input);
      expect.unreachable('config was accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.path)).toContain(field);
    }
  });

  it('gives different configs different build ids', () => {
    expect(buildId(parseCoreConfig({}))).not.toBe(buildId(parseCoreConfig({ capacity: 128 })));
    expect(buildId(parseCoreConfig({}))).toBe(buildId(parseCoreConfig({ maxWindows: 9 })));
  });
});

describe('protocol tables', () => {
  it('gives every op a distinct code and requests that fit a frame', () => {
    const codes = OP_NAMES.map((n) => OPS[n].code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const n of OP_NAMES) for (const len of requestLengths(n)) expect(len).toBeLessThanOrEqual(MAX_REQUEST_PAYLOAD);
    expect(MAX_RESPONSE_PAYLOAD).toBeLessThanOrEqual(255);
  });
});
