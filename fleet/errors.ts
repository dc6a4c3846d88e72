/** An SSM service error as the AWS JSON 1.1 protocol carries it: HTTP 400 with `__type` and `message`. */
export class SsmError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** The account id the fleet reports in ARNs, owners and error messages. */
export const FLEET_ACCOUNT_ID = '000000000000';

export const throttled = (type = 'ThrottlingException'): SsmError => new SsmError(type, 'Rate exceeded');
