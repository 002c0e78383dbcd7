/**
 * The one registry of secret values. A value is masked with the runner (`::add-mask::`) the moment it is read, and
 * replaced by `***` in every text the action writes (log lines, errors, outputs, the summary, the check run).
 */
export class Secrets {
  readonly #values = new Set<string>();
  readonly #mask: (value: string) => void;

  /** `mask`: the runner's `setSecret`. */
  constructor(mask: (value: string) => void) {
    this.#mask = mask;
  }

  /**
   * Registers a secret and returns it. A multi-line value is also registered line by line: the runner may mask
   * only a line at a time. Empty values are ignored.
   */
  add(value: string): string {
    if (value === '') return value;
    this.#register(value);
    const lines = value.split(/\r?\n/).map((line) => line.trim());
    if (lines.length > 1) for (const line of lines) if (line !== '') this.#register(line);
    return value;
  }

  /** `text` with every registered value of four characters or more replaced by `***`. */
  redact = (text: string): string => {
    let out = text;
    for (const secret of this.#values) if (secret.length >= 4) out = out.split(secret).join('***');
    return out;
  };

  #register(value: string): void {
    if (this.#values.has(value)) return;
    this.#values.add(value);
    this.#mask(value);
  }
}
