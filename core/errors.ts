/**
 * The hub's error classes. Each has a stable string `code`, an HTTP `status`, and a safe payload:
 * the messages name fields and reasons, never a value a policy protects or a secret.
 */
export interface FieldProblem {
  /** JSON pointer to the offending field, e.g. `/billingAddress/country` or `/query/limit`. */
  readonly pointer: string;
  readonly detail: string;
}

/**
 * The base of every error the hub makes: a stable string `code` a caller can branch on (never the
 * message text) and a message that names fields and reasons, never a protected value or a secret.
 */
export class CodedError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A coded error with what an HTTP answer needs: a status, field problems and headers. */
export class HubError extends CodedError {
  status: number;
  readonly errors: readonly FieldProblem[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: string,
    status: number,
    message: string,
    errors: readonly FieldProblem[] = [],
    headers: Record<string, string> = {},
  ) {
    super(code, message);
    this.status = status;
    this.errors = Object.freeze([...errors]);
    this.headers = Object.freeze({ ...headers });
  }

  /** The same error under another HTTP status (e.g. a rule break that is the request's fault: 400). */
  withStatus(status: number): this {
    this.status = status;
    return this;
  }
}

/** The request is malformed or does not match the API schema (400). */
export class BadRequestError extends HubError {
  constructor(message: string, errors: readonly FieldProblem[] = []) {
    super('bad_request', 400, message, errors);
  }
}

/** The request is well-formed but breaks a business rule (422). */
export class UnprocessableError extends HubError {
  constructor(message: string, errors: readonly FieldProblem[] = []) {
    super('unprocessable', 422, message, errors);
  }
}

export class UnauthorizedError extends HubError {
  constructor(message = 'Authentication required') {
    super('unauthorized', 401, message, [], { 'WWW-Authenticate': 'Bearer' });
  }
}

export class ForbiddenError extends HubError {
  constructor(message = 'Not allowed', errors: readonly FieldProblem[] = []) {
    super('forbidden', 403, message, errors);
  }
}

export class NotFoundError extends HubError {
  constructor(message = 'Not found') {
    super('not_found', 404, message);
  }
}

export class ConflictError extends HubError {
  constructor(message: string, errors: readonly FieldProblem[] = []) {
    super('conflict', 409, message, errors);
  }
}

export class PreconditionFailedError extends HubError {
  constructor(message = 'If-Match does not match the current version of the record (it changed since it was read, or the tag was not issued by the hub)') {
    super('precondition_failed', 412, message, [{ pointer: '/header/If-Match', detail: message }]);
  }
}

/**
 * A conditional write found the record at another version than the one it read: another request
 * changed it in between. With an `If-Match` the caller's tag is stale (412); without one, the API
 * re-reads the record and tries again (see `core/records/retry.ts`).
 */
export class WriteRaceError extends PreconditionFailedError {
  constructor() {
    super('The record was changed by another request; read it again');
  }
}

export class PayloadTooLargeError extends HubError {
  constructor(limitBytes: number) {
    super('payload_too_large', 413, `Request body exceeds ${limitBytes} bytes`, [
      { pointer: '/body', detail: `larger than the limit of ${limitBytes} bytes` },
    ]);
  }
}

export class TooManyRequestsError extends HubError {
  constructor(message: string, retryAfterSeconds: number) {
    super('too_many_requests', 429, message, [], { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

/** Configuration or environment is invalid; lists every problem at once. */
export class ConfigError extends HubError {
  constructor(message: string, errors: readonly FieldProblem[] = []) {
    super('config_invalid', 500, message, errors);
  }
}

/** A dependency (store, Redis) is unavailable. */
export class UnavailableError extends HubError {
  constructor(message: string) {
    super('unavailable', 503, message);
  }
}

/**
 * What a log line or dead letter may say of an error the hub did not make: its class name and, when
 * it has one, the driver's symbolic code (`SQLITE_BUSY_SNAPSHOT`, `ER_LOCK_DEADLOCK`, `ECONNRESET`).
 * Never the message: a driver may quote the values it choked on.
 */
export function foreignErrorSummary(error: unknown): { name: string; code?: string } {
  const e = error as { name?: unknown; code?: unknown } | null;
  const name = e && typeof e.name === 'string' ? e.name : 'Error';
  const code = e && typeof e.code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(e.code) ? e.code : undefined;
  return code ? { name, code } : { name };
}
