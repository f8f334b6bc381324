/** One problem with one input field, shown next to that field. */
export interface FieldError {
  field: string;
  message: string;
}

/** Base of the typed errors services throw; the error handler maps them to HTTP. */
export abstract class AppError extends Error {
  abstract readonly status: number;
  constructor(
    /** Stable, machine-readable code (e.g. "ticket_closed"). */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends AppError {
  readonly status: number = 400;
  constructor(
    readonly errors: FieldError[],
    message = "Some fields need attention.",
    code = "invalid",
  ) {
    super(code, message);
  }
  /** Convenience for a single-field problem. */
  static field(field: string, message: string): Invalid {
    return new Invalid([{ field, message }]);
  }
}

/**
 * A value that must be unique is taken (an email that already has an account):
 * 409 in the API, and, like Invalid, shown next to its field on a form.
 */
export class Taken extends Invalid {
  override readonly status = 409;
  constructor(field: string, message: string) {
    super([{ field, message }], "A value that must be unique is already in use.", "taken");
  }
}

export class Unauthorized extends AppError {
  readonly status = 401;
  constructor(message = "Please sign in.") {
    super("unauthorized", message);
  }
}

export class Forbidden extends AppError {
  readonly status = 403;
  constructor(message = "You are not allowed to do that.") {
    super("forbidden", message);
  }
}

export class NotFound extends AppError {
  readonly status = 404;
  constructor(what: string, id?: string | number) {
    super("not_found", id === undefined ? `No such ${what}.` : `No ${what} ${id}.`);
  }
}

export class Conflict extends AppError {
  readonly status = 409;
}

/**
 * The client's copy is out of date: it asked to change a resource only if it
 * was still as it read it (`If-Match`, or a form's version field), and it was not.
 */
export class PreconditionFailed extends AppError {
  readonly status = 412;
  constructor(message: string) {
    super("changed_meanwhile", message);
  }
}

export class TooManyRequests extends AppError {
  readonly status = 429;
  constructor(
    readonly retryAfterSeconds: number,
    message = "Too many attempts; try again later.",
  ) {
    super("rate_limited", message);
  }
}

/** Another server this one needed (an OpenID provider) could not be reached or answered badly. */
export class BadGateway extends AppError {
  readonly status = 502;
  constructor(message: string) {
    super("bad_gateway", message);
  }
}
