/**
 * How a transport reports failure to the claim queue: whether trying again can help, and when.
 * Transports translate their own errors (SMTP reply codes, HTTP statuses) into this.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
