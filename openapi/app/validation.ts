import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { BadRequestError, type FieldProblem } from '../../core/errors.js';
import type { LoadedSpec, OperationSpec } from './spec.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

/** Friendlier words for the shared scalar schemas than "must match pattern …". */
const SCALAR_MESSAGES: Readonly<Record<string, string>> = {
  Money: 'must be a decimal string such as "1234.50" (no number type, no exponent, at most 4 decimals)',
  SignedMoney: 'must be a decimal string such as "1234.50" or "-80.00" (no number type, no exponent, at most 4 decimals)',
  OrderTotal: 'must be a decimal string such as "1234.50" (no number type, no exponent, at most 20 digits before the point and 4 after)',
  Quantity: 'must be a non-negative decimal string such as "12.5" (no number type, no exponent)',
  SignedDecimal: 'must be a decimal string such as "-3.5" (no number type, no exponent)',
  Percent: 'must be a decimal string between "0" and "100", such as "7.5"',
  CurrencyCode: 'must be a three-letter ISO 4217 currency code such as "EUR"',
  CountryCode: 'must be a two-letter ISO 3166-1 country code such as "DE"',
  Date: 'must be a real calendar date in the form YYYY-MM-DD',
  Timestamp: 'must be an ISO 8601 date-time with a time zone, such as 2026-01-31T12:00:00Z',
  Email: 'must be an email address such as name@example.com (a domain of at least two labels)',
  Id: 'must be an id of 1 to 64 letters, digits, or _ . : -',
  EntityTagList: 'must be * or a list of entity tags, such as "3"',
};

/** Code lists whose unlisted (but well-formed) codes the model refuses with 422, with the record's other rule breaks. */
const MODEL_CODE_LISTS = /\/components\/schemas\/(CurrencyCode|CountryCode)\/enum$/;

/** Errors that say nothing by themselves: the summary of a failed `oneOf`/`anyOf`, or the failed null branch of a nullable value. */
const isBranchNoise = (e: ErrorObject): boolean => e.keyword === 'oneOf' || e.keyword === 'anyOf' || (e.keyword === 'type' && (e.params as { type: string }).type === 'null');

function messageFor(e: ErrorObject): string {
  const scalar = /#\/components\/schemas\/([A-Za-z]+)\/[a-zA-Z]+$/.exec(e.schemaPath)?.[1];
  if (scalar && SCALAR_MESSAGES[scalar] && ['type', 'pattern', 'format', 'minLength', 'maxLength', 'enum'].includes(e.keyword)) return SCALAR_MESSAGES[scalar];
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return 'is not a known property';
    case 'enum':
      return `must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'format':
      return `must be a valid ${(e.params as { format: string }).format}`;
    case 'minProperties':
      return 'must contain at least one property';
    default:
      return e.message ?? 'is invalid';
  }
}

function pointerFor(e: ErrorObject, base: string): string {
  let path = e.instancePath;
  if (e.keyword === 'required') path += `/${(e.params as { missingProperty: string }).missingProperty}`;
  if (e.keyword === 'additionalProperties') path += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
  if (e.keyword === 'unevaluatedProperties') path += `/${(e.params as { unevaluatedProperty: string }).unevaluatedProperty}`;
  return `${base}${path}` || '/';
}

/**
 * Turns Ajv's errors into field problems. Branch noise from nullable `oneOf [X, null]` is pruned:
 * the "must be null" branch and the `oneOf` summary are dropped when a more specific error exists.
 */
export function toProblems(errors: readonly ErrorObject[], base: string): FieldProblem[] {
  const specific = errors.filter((e) => !isBranchNoise(e));
  const chosen = specific.length > 0 ? specific : errors;
  const seen = new Set<string>();
  const out: FieldProblem[] = [];
  for (const e of chosen) {
    const problem = { pointer: pointerFor(e, base), detail: messageFor(e) };
    const key = `${problem.pointer}\u0000${problem.detail}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(problem);
    }
  }
  return out;
}

export interface OperationValidators {
  readonly query: ValidateFunction | undefined;
  readonly path: ValidateFunction | undefined;
  readonly headers: ValidateFunction | undefined;
  /** The spec's spelling of each header parameter by its lower-case name, for pointers (`/header/If-Match`). */
  readonly headerNames: ReadonlyMap<string, string>;
  /** Query arrays sent as one comma-separated value (`expand=customer,order`). */
  readonly commaSeparated: ReadonlySet<string>;
  readonly body: ValidateFunction | undefined;
  readonly responses: Readonly<Record<string, ValidateFunction>>;
}

/** Compiles, once, a validator for each part of each operation. */
export class SpecValidator {
  private readonly ajv: Ajv2020;
  /** Coerces query, path and header strings to the declared types. */
  private readonly paramAjv: Ajv2020;
  readonly byOperation = new Map<string, OperationValidators>();

  constructor(spec: LoadedSpec) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    this.paramAjv = new Ajv2020({ strict: false, allErrors: true, coerceTypes: 'array', useDefaults: true });
    for (const ajv of [this.ajv, this.paramAjv]) {
      addFormats(ajv);
      ajv.addSchema(spec.document, 'openapi.json');
    }
    for (const op of spec.operations) this.byOperation.set(op.operationId, this.compile(op));
  }

  private params(op: OperationSpec, where: 'query' | 'path' | 'header'): ValidateFunction | undefined {
    const list = op.parameters.filter((p) => p.in === where);
    if (where !== 'query' && list.length === 0) return undefined;
    const name = (p: { name: string }) => (where === 'header' ? p.name.toLowerCase() : p.name);
    return this.paramAjv.compile({
      type: 'object',
      properties: Object.fromEntries(list.map((p) => [name(p), p.schema])),
      required: list.filter((p) => p.required).map(name),
      // Unknown query parameters are refused; other headers are of course allowed.
      additionalProperties: where === 'header',
    });
  }

  private compile(op: OperationSpec): OperationValidators {
    const responses: Record<string, ValidateFunction> = {};
    for (const [status, schema] of Object.entries(op.responses)) if (schema) responses[status] = this.ajv.compile(schema);
    return {
      query: this.params(op, 'query'),
      path: this.params(op, 'path'),
      headers: this.params(op, 'header'),
      commaSeparated: new Set(op.parameters.filter((p) => p.commaSeparated).map((p) => p.name)),
      headerNames: new Map(op.parameters.filter((p) => p.in === 'header').map((p) => [p.name.toLowerCase(), p.name])),
      body: op.body ? this.ajv.compile(op.body.schema) : undefined,
      responses,
    };
  }

  /** Validates (and coerces) `data` in place; throws a 400 naming every offending field. */
  check(fn: ValidateFunction | undefined, data: unknown, base: string, what: string): void {
    if (!fn || fn(data)) return;
    throw new BadRequestError(`The request ${what} is invalid`, toProblems(fn.errors ?? [], base));
  }

  /**
   * As `check` for the query. A problem with one item of a comma-separated list names the
   * parameter as sent (`/query/expand`) and the item in its detail.
   */
  checkQuery(v: OperationValidators | undefined, query: Record<string, unknown>): void {
    if (!v?.query || v.query(query)) return;
    const problems = toProblems(v.query.errors ?? [], '/query').map((p) => {
      const [, name = '', index] = /^\/query\/([^/]+)\/(\d+)$/.exec(p.pointer) ?? [];
      const list = query[name];
      if (!v.commaSeparated.has(name) || index === undefined || !Array.isArray(list)) return p;
      return { pointer: `/query/${name}`, detail: `item ${JSON.stringify(String(list[Number(index)]).slice(0, 64))}: ${p.detail}` };
    });
    throw new BadRequestError('The request query is invalid', problems);
  }

  /** As `check` for the request headers, naming each header as the spec spells it. */
  checkHeaders(v: OperationValidators | undefined, headers: Record<string, unknown>): void {
    if (!v?.headers || v.headers(headers)) return;
    const problems = toProblems(v.headers.errors ?? [], '/header').map((p) => {
      const [, name = '', rest = ''] = /^\/header\/([^/]+)(.*)$/.exec(p.pointer) ?? [];
      return { ...p, pointer: `/header/${v.headerNames.get(name) ?? name}${rest}` };
    });
    throw new BadRequestError('The request headers are invalid', problems);
  }

  /**
   * As `check` for a body, except that a well-formed currency or country code missing from the
   * spec's list is left to the model's rules (core/model/validate.ts), which refuse it with 422
   * together with every other rule the record breaks, as the spec says.
   */
  checkBody(fn: ValidateFunction | undefined, data: unknown): void {
    if (!fn || fn(data)) return;
    const errors = fn.errors ?? [];
    const deferred = errors.filter((e) => e.keyword === 'enum' && MODEL_CODE_LISTS.test(e.schemaPath));
    const rest = errors.filter((e) => !deferred.includes(e) && !isBranchNoise(e));
    if (deferred.length > 0 && rest.length === 0) return;
    throw new BadRequestError('The request body is invalid', toProblems(errors, ''));
  }
}
