// Errors the CLI expects and explains without a stack trace; each one carries its exit code.

/** The user gave something the CLI cannot use (a flag, a value, a file, an id): exit 2. */
export class CliInputError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'CliInputError';
  }
}

/** The operation was understood but did not work (a service unreachable, a run that ended badly): exit 1. */
export class CliOperationFailed extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'CliOperationFailed';
  }
}
