import { useEffect, useState } from 'preact/hooks';
import { api, fieldErrors, problemOf, type Problem, type Schemas } from '../api.js';
import { t, type MessageKey } from '../i18n.js';
import { mayWrite, permissions } from '../permissions.js';
import { go, href } from '../route.js';

type Customer = Schemas['Customer'];
type FieldName = 'code' | 'name' | 'kind' | 'status' | 'email' | 'phone' | 'website' | 'taxId' | 'industry' | 'currency' | 'creditLimit' | 'paymentTerms';
const FIELDS: readonly FieldName[] = ['code', 'name', 'kind', 'status', 'email', 'phone', 'website', 'taxId', 'industry', 'currency', 'creditLimit', 'paymentTerms'];
const CHOICES: Partial<Record<FieldName, readonly string[]>> = { kind: ['company', 'person'], status: ['active', 'inactive'] };
/** Fields a customer always has (never null). */
const REQUIRED = new Set<FieldName>(['code', 'name', 'kind', 'status']);

type Values = Record<FieldName, string>;

const asText = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const valuesOf = (c: Record<string, unknown> | undefined): Values => Object.fromEntries(FIELDS.map((f) => [f, asText(c?.[f])])) as Values;

/**
 * Create (`#/customers/new`) or edit (`#/customers/<id>/edit`) a customer. Only the fields the user
 * may write are offered; the server's validation errors appear next to their fields; a stale edit
 * (412: someone saved in between) shows what the other person changed and keeps what the user typed.
 */
export function CustomerForm(props: { id?: string | undefined }) {
  const editing = props.id !== undefined;
  const [base, setBase] = useState<Customer | undefined>();
  const [values, setValues] = useState<Values>(valuesOf({ kind: 'company', status: 'active' }));
  const [problem, setProblem] = useState<Problem | undefined>();
  const [theirs, setTheirs] = useState<{ record: Customer; changed: FieldName[] } | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!props.id) return;
    void api.GET('/api/v1/customers/{id}', { params: { path: { id: props.id } } }).then(({ data, error, response }) => {
      if (data) {
        setBase(data);
        setValues(valuesOf(data as Record<string, unknown>));
      } else setProblem(problemOf(error, response.status));
    });
  }, [props.id]);
  // Fields the user may write and sees in plain form (a masked value cannot be edited meaningfully).
  const writable = FIELDS.filter((f) => mayWrite('customer', f) && permissions.get()?.['customer']?.fields[f] === 'allow');
  const errors = fieldErrors(problem);

  const body = (): Record<string, string | null> => {
    const out: Record<string, string | null> = {};
    for (const f of writable) {
      const typed = values[f].trim();
      if (editing && base && typed === asText((base as Record<string, unknown>)[f]).trim()) continue;
      if (typed === '') {
        if (editing && !REQUIRED.has(f)) out[f] = null;
        else if (editing) out[f] = typed;
        continue;
      }
      out[f] = typed;
    }
    return out;
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      if (editing && base && props.id) {
        const patch = body();
        if (Object.keys(patch).length === 0) return go(['customers', props.id]);
        const { data, error, response } = await api.PATCH('/api/v1/customers/{id}', {
          params: { path: { id: props.id }, header: { 'If-Match': `"${base.version}"` } },
          body: patch as Schemas['CustomerPatch'],
        });
        if (data) return go(['customers', data.id]);
        if (response.status === 412) return await stale();
        setProblem(problemOf(error, response.status));
      } else {
        const { data, error, response } = await api.POST('/api/v1/customers', { body: body() as Schemas['CustomerCreate'] });
        if (data) return go(['customers', data.id]);
        setProblem(problemOf(error, response.status));
      }
    } finally {
      setBusy(false);
    }
  };

  /** Someone saved in between: fetch their version, show what they changed, keep what the user typed. */
  const stale = async () => {
    if (!props.id || !base) return;
    const { data } = await api.GET('/api/v1/customers/{id}', { params: { path: { id: props.id } } });
    if (!data) return setProblem({ type: 'about:blank', title: t('error.notFound'), status: 404 } as Problem);
    const before = base as Record<string, unknown>;
    const now = data as Record<string, unknown>;
    setTheirs({ record: data, changed: FIELDS.filter((f) => asText(before[f]) !== asText(now[f])) });
  };

  /** A field both people changed: keeping "mine" replaces their value with what this user typed. */
  const bothChanged = (f: FieldName): boolean => !!base && values[f].trim() !== asText((base as Record<string, unknown>)[f]).trim();

  /** Keep the user's values, on top of the other person's saved version. */
  const rebase = () => {
    if (!theirs || !base) return;
    const typed = { ...values };
    const mine = valuesOf(base as Record<string, unknown>);
    const next = valuesOf(theirs.record as Record<string, unknown>);
    // Fields the user did not touch take the other person's value; the user's own edits stay.
    for (const f of FIELDS) if (typed[f] === mine[f]) typed[f] = next[f];
    setBase(theirs.record);
    setValues(typed);
    setTheirs(undefined);
  };

  if (editing && !base && !problem) return <p role="status">{t('loading')}</p>;
  if (editing && !base && problem) return <p class="error" role="alert">{problem.status === 404 ? t('error.notFound') : problem.title}</p>;
  return (
    <section aria-labelledby="customer-form-title">
      <p><a href={props.id ? href(['customers', props.id]) : href(['customers'])}>← {t('action.cancel')}</a></p>
      <h1 id="customer-form-title">{editing ? t('customer.edit') : t('customer.new')}</h1>
      {theirs && (
        <div class="notice" role="alert" data-testid="stale">
          <p><strong>{t('form.stale')}</strong></p>
          <ul>
            {theirs.changed.map((f) => (
              <li key={f} data-both={bothChanged(f) ? 'true' : undefined}>
                {t(`customer.${f}` as MessageKey)}: <span class="theirs">{asText((theirs.record as Record<string, unknown>)[f]) || '—'}</span>
                {bothChanged(f) && <strong> — {t('form.bothChanged')} “{values[f]}”</strong>}
              </li>
            ))}
          </ul>
          <button type="button" onClick={rebase}>{t('form.keepMine')}</button>
        </div>
      )}
      {problem && !theirs && (
        <p class="error" role="alert">{problem.title}{problem.detail ? ` — ${problem.detail}` : ''}</p>
      )}
      <form class="record-form" onSubmit={submit} noValidate>
        {writable.map((f) => {
          const id = `field-${f}`;
          const err = errors[f];
          const common = { id, name: f, 'aria-invalid': err ? true : undefined, 'aria-describedby': err ? `${id}-error` : undefined } as const;
          return (
            <div class="form-field" key={f}>
              <label for={id}>{t(`customer.${f}` as MessageKey)}</label>
              {CHOICES[f] ? (
                <select {...common} value={values[f]} onChange={(e) => setValues({ ...values, [f]: e.currentTarget.value })}>
                  {CHOICES[f]!.map((c) => <option key={c} value={c}>{t(`${f === 'kind' ? 'kind' : 'status'}.${c}` as MessageKey)}</option>)}
                </select>
              ) : (
                <input {...common} value={values[f]} onInput={(e) => setValues({ ...values, [f]: e.currentTarget.value })} />
              )}
              {err && <span class="field-error" id={`${id}-error`}>{err}</span>}
            </div>
          );
        })}
        <div class="form-actions">
          <button type="submit" disabled={busy}>{t('action.save')}</button>
        </div>
      </form>
    </section>
  );
}
