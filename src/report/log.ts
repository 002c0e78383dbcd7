/**
 * The one writer every log line of the action goes through (`safeLog`). Text from an API can be anything; the runner
 * executes stdout lines that start with `::` (and the older `##[`), splits lines on CR, LF and CRLF, and shows
 * terminal escapes to a terminal. So every message is, in this order: cleared of secrets, cleared of terminal escape
 * and bidi-override characters, bounded in length, and kept from starting a line with a command.
 */

/** The log calls of the action's host (`ActionIO` in `action.ts`). */
export interface LogWriter {
  debug(message: string): void;
  info(message: string): void;
  startGroup(name: string): void;
  endGroup(): void;
  notice(message: string): void;
  warning(message: string): void;
  setFailed(message: string): void;
}

/** Longest message, in characters: a 1.5 MB `error_msg` must not become a 1.5 MB log line or annotation. */
export const MAX_MESSAGE_CHARS = 4_000;

/**
 * C0 controls but tab and line breaks (ESC starts terminal sequences), DEL, C1 controls (CSI, NEL), the Unicode line
 * and paragraph separators, and the bidi marks, embeddings, overrides and isolates (text that reads other than it is).
 */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const LINE_BREAK = /\r\n|\r|\n/g;
/** What the runner would take for a command (it trims a line before looking). */
const COMMAND_START = /^\s*(::|##\[)/;

/** Characters kept in front of a line that would otherwise read as a runner command. */
export const QUOTE = '» ';

/** `text` cut to `max` characters, followed by what `say` makes of the number cut: one way to shorten API text. */
export function clip(
  text: string,
  max: number,
  say: (cut: number) => string = (cut) => `${cut} more characters`,
): string {
  return text.length > max ? `${text.slice(0, max)}… (${say(text.length - max)})` : text;
}

function bound(text: string): string {
  return clip(text, MAX_MESSAGE_CHARS, (cut) => `${cut} more characters not shown`);
}

function unquote(line: string): string {
  return COMMAND_START.test(line) ? `${QUOTE}${line}` : line;
}

/** Text without terminal escape, control or bidi-override characters (line breaks kept). */
export function stripUnsafe(text: string): string {
  return text.replace(UNSAFE, '');
}

/** One log line: no line break, no unsafe character, bounded, never read as a command. */
export function logLine(text: string): string {
  return unquote(bound(text.replace(UNSAFE, '').replace(LINE_BREAK, ' ')));
}

/**
 * A message that may span lines (an annotation with a hint under it): each line made safe as `logLine` makes one,
 * joined with LF. `@actions/core` escapes the line breaks of annotations; a host that does not still prints no line
 * that starts with a command.
 */
export function logText(text: string): string {
  return bound(text.replace(UNSAFE, '')).split(LINE_BREAK).map(unquote).join('\n');
}

/** `io` with every message redacted and made safe; the only way the action writes to the log. */
export function safeLog<T extends LogWriter>(io: T, redact: (text: string) => string): T {
  const line = (text: string) => logLine(redact(text));
  const text = (value: string) => logText(redact(value));
  return {
    ...io,
    debug: (message: string) => io.debug(line(message)),
    info: (message: string) => io.info(line(message)),
    startGroup: (name: string) => io.startGroup(line(name)),
    endGroup: () => io.endGroup(),
    notice: (message: string) => io.notice(text(message)),
    warning: (message: string) => io.warning(text(message)),
    setFailed: (message: string) => io.setFailed(text(message)),
  };
}
