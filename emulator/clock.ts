/** A hand-driven clock for `ElbEmulator({ now })` (and for a waiter's injected Clock in tests). */
export interface ManualClock {
  now(): number;
  /** Moves the clock forward (or back, with a negative value). */
  advance(ms: number): number;
  set(ms: number): void;
}

export function manualClock(startMs: number = Date.now()): ManualClock {
  let t = startMs;
  return {
    now: () => t,
    advance(ms: number): number {
      t += ms;
      return t;
    },
    set(ms: number): void {
      t = ms;
    },
  };
}
