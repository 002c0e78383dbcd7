import { describe, expect, it } from 'vitest';
import { durationSeconds } from '../src/huawei/iam.ts';

describe('durationSeconds', () => {
  it('asks for the wait plus ten minutes, within IAM bounds of 15 minutes and 24 hours', () => {
    expect(durationSeconds(0)).toBe(900);
    expect(durationSeconds(20_000)).toBe(900);
    expect(durationSeconds(60 * 60_000)).toBe(4_200);
    expect(durationSeconds(90 * 60_000 + 1)).toBe(6_001);
    expect(durationSeconds(48 * 3_600_000)).toBe(86_400);
  });
});
