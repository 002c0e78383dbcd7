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

// ---------------------------------------------------------------------------------------------------------
// Date-times (begin_time)

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/**
 * Normalises `begin_time` to the API's UTC `yyyy-MM-ddTHH:mm:ss`. Accepts that format itself (taken as UTC)
 * and ISO-8601 / RFC 3339 date-times with a zone (`Z`, `+08:00`, `+0800`), with optional fractional seconds
 * (dropped). `T` may also be a space. Throws an Error saying what is wrong.
 */
export function normaliseBeginTime(text: string): string {
  const input = text.trim();
  const shown = input.length > 40 ? `${input.slice(0, 37)}...` : input;
  const m = DATE_TIME.exec(input);
  if (!m) {
    const hint = /^\d{4}-\d{2}-\d{2}$/.test(input)
      ? 'a date alone is not enough, add the time'
      : 'expected yyyy-MM-ddTHH:mm:ss, optionally with a zone (Z, +08:00)';
    throw new Error(`'${shown}' is not a date-time: ${hint}`);
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new Error(`'${shown}' is not a date-time: there is no such day`);
  }
  if (hour > 23 || minute > 59 || second > 59) {
    throw new Error(`'${shown}' is not a date-time: the time of day is out of range`);
  }
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) {
      throw new Error(`'${shown}' is not a date-time: the zone offset is out of range`);
    }
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // setUTCFullYear, not Date.UTC: Date.UTC maps the years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offsetMinutes, second, 0);
  const utcYear = date.getUTCFullYear();
  if (utcYear < 0 || utcYear > 9999) {
    throw new Error(`'${shown}' is not a date-time: the year is out of range in UTC`);
  }
  return (
    `${pad(utcYear, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}
