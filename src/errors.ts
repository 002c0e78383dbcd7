/** Errors shared by every layer: a bad input, and turning anything thrown into a message or an Error. */
/** A bad input. The message names the input, says what is wrong and shows a valid example; never a secret. */
export class InputError extends Error {
  readonly input: string;

  constructor(init: { input: string; problem: string; example: string; cause?: unknown }) {
    const { input, problem, example } = init;
    super(`Input '${input}': ${problem}. Example: ${input}: ${example}`, { cause: init.cause });
    this.name = 'InputError';
    this.input = input;
  }
}

/** The message of anything thrown: an Error's message (or its name when it has none), a string, else a placeholder. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : 'an unexpected value was thrown';
}

/** Anything thrown, as an Error (the original kept as its `cause`). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(errorMessage(error), { cause: error });
}
