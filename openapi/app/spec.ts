import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** Path of the spec: the one source of every wire type. */
export const SPEC_PATH = fileURLToPath(new URL('../openapi.yaml', import.meta.url));

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

type Json = Record<string, unknown>;

export interface ParameterSpec {
  readonly name: string;
  readonly in: 'query' | 'path' | 'header';
  readonly required: boolean;
  readonly schema: Json;
  /** A query array sent as one comma-separated value (`style: form, explode: false`), e.g. `expand=customer,order`. */
  readonly commaSeparated: boolean;
}

export interface OperationSpec {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** OpenAPI path, e.g. `/api/v1/customers/{id}`. */
  readonly path: string;
  /** Express path, e.g. `/api/v1/customers/:id`. */
  readonly expressPath: string;
  /**
   * Paths the operation was served at before (`x-former-paths`), still served the same; each is
   * unambiguous (no other operation's path template matches it).
   */
  readonly formerPaths: readonly string[];
  readonly public: boolean;
  readonly parameters: readonly ParameterSpec[];
  /** `#/components/schemas/X` reference or inline schema of the JSON body, when there is one. */
  readonly body: { readonly schema: Json; readonly required: boolean; readonly mediaTypes: readonly string[] } | undefined;
  /** Response schemas by status code, for response validation. */
  readonly responses: Readonly<Record<string, Json | undefined>>;
  /**
   * The media types of the operation's success answers, the default (`application/json`) first,
   * when the operation documents a 406: the router then chooses one by the request's `Accept`
   * (see negotiate.ts) and answers 406 when it names none. Undefined for the others, which answer
   * in their one media type whatever `Accept` says.
   */
  readonly produces: readonly string[] | undefined;
}

export interface LoadedSpec {
  readonly document: Json;
  readonly operations: readonly OperationSpec[];
}

function resolve(doc: Json, value: unknown): Json {
  let current = value as Json;
  for (let i = 0; i < 10 && typeof current?.['$ref'] === 'string'; i++) {
    const ref = current['$ref'] as string;
    if (!ref.startsWith('#/')) throw new Error(`external $ref not supported: ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((node, key) => (node as Json)[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc) as Json;
  }
  return current;
}

/** Rewrites `#/...` references to point into the document registered in Ajv as `openapi.json`. */
export function anchorRefs(schema: unknown): Json {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) => (key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `openapi.json${value}` : value)) as Json;
}

/**
 * The spec document. The build writes a JSON copy beside the built YAML (scripts/copy-assets.mjs):
 * parsing it takes milliseconds where the YAML takes ≈ 0.5 s, at every start and CLI command. Only a
 * copy at least as new as the YAML is used.
 */
function readDocument(path: string): Json {
  const json = path.replace(/\.ya?ml$/, '.json');
  if (json !== path && existsSync(json) && statSync(json).mtimeMs >= statSync(path).mtimeMs) return JSON.parse(readFileSync(json, 'utf8')) as Json;
  return parseYaml(readFileSync(path, 'utf8')) as Json;
}

let loaded: LoadedSpec | undefined;

/**
 * The spec, loaded once per process (the field catalogue and the policy need it; no validators).
 * Here, not in app.ts, so that a process that needs no HTTP surface (CLI commands) need not load express.
 */
export function loadedSpec(): LoadedSpec {
  loaded ??= loadSpec();
  return loaded;
}

export function loadSpec(path: string = SPEC_PATH): LoadedSpec {
  const document = readDocument(path);
  const operations: OperationSpec[] = [];
  const globalSecurity = document['security'];
  for (const [path, rawItem] of Object.entries((document['paths'] ?? {}) as Json)) {
    const item = resolve(document, rawItem);
    const shared = (item['parameters'] as unknown[] | undefined) ?? [];
    for (const method of HTTP_METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const parameters = [...shared, ...((op['parameters'] as unknown[] | undefined) ?? [])].map((p) => {
        const r = resolve(document, p);
        const schema = anchorRefs(r['schema'] ?? {});
        const commaSeparated = r['in'] === 'query' && schema['type'] === 'array' && r['explode'] === false && (r['style'] ?? 'form') === 'form';
        return { name: String(r['name']), in: r['in'] as ParameterSpec['in'], required: r['required'] === true, schema, commaSeparated };
      });
      let body: OperationSpec['body'];
      if (op['requestBody']) {
        const rb = resolve(document, op['requestBody']);
        const content = (rb['content'] ?? {}) as Record<string, Json>;
        const first = Object.values(content)[0];
        body = { schema: anchorRefs(first?.['schema'] ?? {}), required: rb['required'] === true, mediaTypes: Object.keys(content) };
      }
      const responses: Record<string, Json | undefined> = {};
      const produced = new Set<string>();
      for (const [status, raw] of Object.entries((op['responses'] ?? {}) as Json)) {
        const r = resolve(document, raw);
        const content = (r['content'] ?? {}) as Record<string, Json>;
        if (/^2\d\d$/.test(status)) for (const type of Object.keys(content)) produced.add(type);
        const media = content['application/json'] ?? content['application/problem+json'];
        responses[status] = media?.['schema'] ? anchorRefs(media['schema']) : undefined;
      }
      const security = op['security'] ?? globalSecurity;
      operations.push({
        operationId: String(op['operationId']),
        method,
        path,
        expressPath: path.replace(/\{([^}]+)\}/g, ':$1'),
        formerPaths: Array.isArray(op['x-former-paths']) ? (op['x-former-paths'] as unknown[]).map(String) : [],
        public: Array.isArray(security) && security.length === 0,
        parameters,
        body,
        responses,
        produces: '406' in responses ? [...produced].sort((a, b) => Number(b === 'application/json') - Number(a === 'application/json')) : undefined,
      });
    }
  }
  return { document, operations };
}

