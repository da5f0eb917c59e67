/** A mistake in the command line: printed with a pointer to `--help`, exit code 1. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` to point at. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
