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

/** Bad input naming something that does not exist (a run id, a runbook): exit 2, and 404 through the API. */
export class NotFoundInputError extends CliInputError {
  constructor(message: string, fix?: string) {
    super(message, fix);
    this.name = 'NotFoundInputError';
  }
}
