/**
 * Durations as workflow authors write them, and as the logs and the job summary show them.
 *
 * Accepted by `parseDuration` (surrounding whitespace ignored):
 * - a bare number: seconds (`90`, `0`, `1.5`);
 * - one or more `<number><unit>` parts with the units `h`, `m`, `s`, `ms`, each at most once and from the
 *   largest to the smallest (`1h30m`, `2m30s`, `500ms`, `1h30m15s`); parts may be separated by spaces
 *   (`1h 30m`), so every `formatDuration` output parses back;
 * - decimal numbers (`1.5s`, `0.5h`) as long as each part is a whole number of milliseconds
 *   (`1.5ms` and `1.0005s` are rejected).
 *
 * Units are lower case only; there is no sign (negative durations are meaningless here) and no exponent.
 */

const UNIT_MS = { h: 3_600_000n, m: 60_000n, s: 1000n, ms: 1n } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['h', 'm', 's', 'ms'];

const BARE_NUMBER = /^(\d+)(?:\.(\d+))?$/;
/** One part: a number, then whatever follows it up to the next digit or space (checked against the units). */
const PART = /(\d+)(?:\.(\d+))?([^\d\s]*)\s*/y;

function quote(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return `'${shown}'`;
}

function isUnit(text: string): text is Unit {
  return Object.hasOwn(UNIT_MS, text);
}

/** `whole.fraction` times `factor` ms, exactly; `undefined` when that is not a whole number of ms. */
function partMs(whole: string, fraction: string | undefined, factor: bigint): bigint | undefined {
  let ms = BigInt(whole) * factor;
  if (fraction !== undefined) {
    const scale = 10n ** BigInt(fraction.length);
    const scaled = BigInt(fraction) * factor;
    if (scaled % scale !== 0n) return undefined;
    ms += scaled / scale;
  }
  return ms;
}

function toSafeNumber(ms: bigint, text: string): number {
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(`Invalid duration ${quote(text)}: the value is too large`);
  }
  return Number(ms);
}

/** Parses a duration (see the module comment) into milliseconds. Throws an Error saying what is wrong. */
export function parseDuration(text: string): number {
  const input = text.trim();
  if (input === '') throw new Error('Invalid duration: the value is empty (write e.g. 90s, 15m or 1h30m)');
  if (input.startsWith('-')) throw new Error(`Invalid duration ${quote(input)}: it must not be negative`);

  const bare = BARE_NUMBER.exec(input);
  if (bare) {
    const ms = partMs(bare[1] as string, bare[2], UNIT_MS.s);
    if (ms === undefined) {
      throw new Error(`Invalid duration ${quote(input)}: it is finer than a millisecond`);
    }
    return toSafeNumber(ms, input);
  }

  let total = 0n;
  let position = 0;
  let lastUnitIndex = -1;
  while (position < input.length) {
    PART.lastIndex = position;
    const match = PART.exec(input);
    if (!match) {
      throw new Error(
        `Invalid duration ${quote(input)}: expected a number at ${quote(input.slice(position))} (write e.g. 90s, 15m or 1h30m)`,
      );
    }
    const [, whole, fraction, unit = ''] = match;
    if (unit === '') {
      throw new Error(
        `Invalid duration ${quote(input)}: the number ${quote(match[0].trim())} has no unit (use h, m, s or ms)`,
      );
    }
    if (!isUnit(unit)) {
      throw new Error(`Invalid duration ${quote(input)}: unknown unit ${quote(unit)} (use h, m, s or ms)`);
    }
    const unitIndex = UNIT_ORDER.indexOf(unit);
    if (unitIndex === lastUnitIndex) {
      throw new Error(`Invalid duration ${quote(input)}: the unit '${unit}' appears more than once`);
    }
    if (unitIndex < lastUnitIndex) {
      throw new Error(
        `Invalid duration ${quote(input)}: units must go from the largest to the smallest (h, m, s, ms), e.g. 1h30m`,
      );
    }
    lastUnitIndex = unitIndex;
    const ms = partMs(whole as string, fraction, UNIT_MS[unit]);
    if (ms === undefined) {
      throw new Error(
        `Invalid duration ${quote(input)}: ${quote(match[0].trim())} is finer than a millisecond`,
      );
    }
    total += ms;
    position = PART.lastIndex;
  }
  return toSafeNumber(total, input);
}

/**
 * A compact, human form for logs and the summary:
 * - under a second: milliseconds (`450ms`), and `0s` for zero;
 * - from a second on: rounded to the nearest second, then every non-zero part of hours, minutes and
 *   seconds, separated by spaces (`45s`, `12m 5s`, `1h 2m`, `1h 5s`, `26h 3m`); no days.
 * Fractions of a millisecond are rounded. A negative value gets a leading `-` (`-5s`); a value that is not
 * a finite number gives `n/a`. Every output parses back with `parseDuration` (save `n/a` and negatives).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 0) {
    const positive = formatDuration(-ms);
    return positive === '0s' ? '0s' : `-${positive}`;
  }
  const wholeMs = Math.round(ms);
  if (wholeMs === 0) return '0s';
  if (wholeMs < 1000) return `${wholeMs}ms`;
  const totalSeconds = Math.round(wholeMs / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours}h`);
  if (minutes > 0) parts.push(`${minutes}m`);
  if (seconds > 0) parts.push(`${seconds}s`);
  return parts.join(' ');
}
