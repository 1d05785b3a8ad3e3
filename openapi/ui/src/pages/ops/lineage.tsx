import { useEffect, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../../api.js';
import { instantSeconds, t } from '../../i18n.js';
import { go, href } from '../../route.js';
import { ENTITY_NAMES, isEntity, tf, labelOf } from './format.js';
import { Field, ProblemNote, Scroll } from './shell.js';

/** A record's field lineage: which system last set each field, when, at which version, through which job. */

type Entity = Schemas['EntityName'];

function lineageOf(entity: Entity, id: string) {
  const params = { params: { path: { id } } };
  switch (entity) {
    case 'customer':
      return api.GET('/api/v1/customers/{id}/lineage', params);
    case 'contact':
      return api.GET('/api/v1/contacts/{id}/lineage', params);
    case 'product':
      return api.GET('/api/v1/products/{id}/lineage', params);
    case 'inventory':
      return api.GET('/api/v1/inventory/{id}/lineage', params);
    case 'order':
      return api.GET('/api/v1/orders/{id}/lineage', params);
    case 'receivable':
      return api.GET('/api/v1/receivables/{id}/lineage', params);
    case 'payment':
      return api.GET('/api/v1/payments/{id}/lineage', params);
  }
}

export function LineagePage(props: { entity?: string | undefined; id?: string | undefined }) {
  const entity = isEntity(props.entity) ? props.entity : undefined;
  const id = props.id ?? '';
  const [formEntity, setFormEntity] = useState<Entity>(entity ?? 'customer');
  const [formId, setFormId] = useState(id);
  const [lineage, setLineage] = useState<Schemas['Lineage'] | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  useEffect(() => {
    setFormEntity(entity ?? 'customer');
    setFormId(id);
    setLineage(undefined);
    setProblem(undefined);
    if (!entity || !id) return;
    let live = true;
    void lineageOf(entity, id).then(({ data, error, response }) => {
      if (!live) return;
      if (data) setLineage(data);
      else setProblem(problemOf(error, response.status));
    });
    return () => {
      live = false;
    };
  }, [entity, id]);
  const open = (e: Event) => {
    e.preventDefault();
    const trimmed = formId.trim();
    if (trimmed) go(['ops', 'lineage', formEntity, trimmed]);
  };
  const rows = lineage ? [...lineage.fields].sort((a, b) => a.field.localeCompare(b.field)) : [];
  return (
    <section aria-labelledby="lineage-title">
      <h1 id="lineage-title">{entity && id ? tf('ops.lineage.of', { entity: labelOf('ops.entity', entity), id }) : t('ops.lineage.title')}</h1>
      <form class="filters" aria-label={t('ops.lineage.open')} onSubmit={open}>
        <Field label={t('ops.entity')}>
          <select value={formEntity} onChange={(e) => setFormEntity(e.currentTarget.value as Entity)}>
            {ENTITY_NAMES.map((en) => (
              <option key={en} value={en}>{labelOf('ops.entity', en)}</option>
            ))}
          </select>
        </Field>
        <Field label={t('ops.lineage.recordId')}>
          <input name="id" value={formId} required maxLength={64} onInput={(e) => setFormId(e.currentTarget.value)} />
        </Field>
        <button type="submit">{t('ops.lineage.open')}</button>
      </form>
      {problem && problem.status === 404 ? <p class="error" role="alert">{t('error.notFound')}</p> : <ProblemNote problem={problem} />}
      {entity === 'customer' && id && !problem && (
        <p><a href={href(['customers', id])}>{t('ops.lineage.toRecord')}</a></p>
      )}
      {entity && id && !lineage && !problem && <p role="status">{t('loading')}</p>}
      {lineage && rows.length === 0 && <p>{t('ops.lineage.none')}</p>}
      {lineage && rows.length > 0 && (
        <Scroll label={t('ops.lineage.title')}>
          <table class="list stack lineage">
            <thead>
              <tr>
                <th scope="col">{t('ops.lineage.field')}</th>
                <th scope="col">{t('ops.lineage.system')}</th>
                <th scope="col">{t('ops.lineage.at')}</th>
                <th scope="col" class="num">{t('ops.lineage.version')}</th>
                <th scope="col">{t('ops.lineage.job')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((f) => (
                <tr key={f.field} data-field={f.field}>
                  <th scope="row"><code>{f.field}</code></th>
                  <td data-label={t('ops.lineage.system')}>{f.system}</td>
                  <td data-label={t('ops.lineage.at')}>{instantSeconds(f.at)}</td>
                  <td data-label={t('ops.lineage.version')} class="num">{f.version}</td>
                  <td data-label={t('ops.lineage.job')} class="job">{f.job ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </section>
  );
}
