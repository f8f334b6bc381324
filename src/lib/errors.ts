/**
 * Arguments of a catalog message (lib/ knows no catalog, so keys are plain
 * strings here). A list of names is joined in the reader's language ("A and B").
 */
export type MessageArgs = Record<string, string | number | readonly string[]>;

/** One problem with one input field, shown next to that field. */
export interface FieldError {
  field: string;
  /** English, read after the field's name ("is required"): the API's words, never translated. */
  message: string;
  /**
   * The same problem as a whole sentence of the catalogs, the field's label as
   * `{label}` (`error.field.required`: "{label} is required"), so a page can say it
   * in the reader's language; without one, pages show the English.
   */
  key?: string;
  /** The key's arguments besides `{label}`. */
  values?: MessageArgs;
  /** Where in the field's text the problem is (1-based character), for text with a syntax (a search query). */
  position?: number;
}

/** A field's problem with its catalog sentence (see FieldError). */
export function fieldProblem(
  field: string,
  message: string,
  key: string,
  values?: MessageArgs,
): FieldError {
  return values ? { field, message, key, values } : { field, message, key };
}

const SOME_FIELDS = "Some fields need attention.";

/** Base of the typed errors services throw; the error handler maps them to HTTP. */
export abstract class AppError extends Error {
  abstract readonly status: number;
  constructor(
    /** Stable, machine-readable code (e.g. "ticket_closed"). */
    readonly code: string,
    /** English: the API's `detail`, never translated. */
    message: string,
    /**
     * The same message as a catalog key (`error.*`), which pages show in the
     * reader's language; without one, pages show a generic sentence for the status.
     */
    readonly messageKey?: string,
    /** The key's arguments (a provider's `{name}`). */
    readonly messageValues?: MessageArgs,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends AppError {
  readonly status: number = 400;
  constructor(
    readonly errors: FieldError[],
    message = SOME_FIELDS,
    code = "invalid",
    messageKey?: string,
    messageValues?: MessageArgs,
  ) {
    super(
      code,
      message,
      messageKey ?? (message === SOME_FIELDS ? "error.form.someFields" : undefined),
      messageValues,
    );
  }
  /** Convenience for a single-field problem; `key` and `values` as in FieldError. */
  static field(field: string, message: string, key?: string, values?: MessageArgs): Invalid {
    return new Invalid([key ? fieldProblem(field, message, key, values) : { field, message }]);
  }
}

/**
 * A value that must be unique is taken (an email that already has an account):
 * 409 in the API, and, like Invalid, shown next to its field on a form.
 */
export class Taken extends Invalid {
  override readonly status = 409;
  constructor(field: string, message: string, key?: string, values?: MessageArgs) {
    super(
      [key ? fieldProblem(field, message, key, values) : { field, message }],
      "A value that must be unique is already in use.",
      "taken",
      "error.form.taken",
    );
  }
}

/** Who is refused: a custom message comes with its catalog key (see AppError). */
export class Unauthorized extends AppError {
  readonly status = 401;
  constructor(message?: string, messageKey?: string, messageValues?: MessageArgs) {
    super(
      "unauthorized",
      message ?? "Please sign in.",
      message === undefined ? "error.signIn" : messageKey,
      messageValues,
    );
  }
}

export class Forbidden extends AppError {
  readonly status = 403;
  constructor(message?: string, messageKey?: string, messageValues?: MessageArgs) {
    super(
      "forbidden",
      message ?? "You are not allowed to do that.",
      message === undefined ? "error.forbidden" : messageKey,
      messageValues,
    );
  }
}

/** Pages say a generic sentence (`error.notFound`): `what` is English and stays in the API. */
export class NotFound extends AppError {
  readonly status = 404;
  constructor(what: string, id?: string | number) {
    super(
      "not_found",
      id === undefined ? `No such ${what}.` : `No ${what} ${id}.`,
      "error.notFound",
    );
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
  constructor(message: string, messageKey?: string, messageValues?: MessageArgs) {
    super("changed_meanwhile", message, messageKey, messageValues);
  }
}

/** Too many tries: pages say how many minutes to wait (`error.tooManyAttempts`). */
export class TooManyRequests extends AppError {
  readonly status = 429;
  constructor(
    readonly retryAfterSeconds: number,
    message?: string,
    messageKey?: string,
    messageValues?: MessageArgs,
  ) {
    super(
      "rate_limited",
      message ?? "Too many attempts; try again later.",
      message === undefined ? "error.tooManyAttempts" : messageKey,
      message === undefined
        ? { minutes: Math.max(1, Math.ceil(retryAfterSeconds / 60)) }
        : messageValues,
    );
  }
}

/** Another server this one needed (an OpenID provider) could not be reached or answered badly. */
export class BadGateway extends AppError {
  readonly status = 502;
  constructor(message: string, messageKey?: string, messageValues?: MessageArgs) {
    super("bad_gateway", message, messageKey, messageValues);
  }
}
