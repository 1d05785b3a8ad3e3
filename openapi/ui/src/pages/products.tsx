import { useEffect, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../api.js';
import { money, t } from '../i18n.js';
import { may } from '../permissions.js';
import { go, href } from '../route.js';
import { Value } from './fields.js';
import { DataTable, useList } from './table.js';

type Product = Schemas['Product'];

const priceOf = (r: Record<string, unknown>, field: string) => <Value record={r} field={field} format={(v) => (typeof r['currency'] === 'string' ? money(String(v), r['currency']) : String(v))} />;

export function ProductsPage(props: { query: URLSearchParams }) {
  const q = props.query.get('q') ?? '';
  const cursor = props.query.get('cursor') ?? '';
  const [text, setText] = useState(q);
  const list = useList<Product>(() => api.GET('/api/v1/products', { params: { query: { limit: 25, sort: 'sku', ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) } } }), [q, cursor]);
  return (
    <section aria-labelledby="products-title">
      <h1 id="products-title">{t('nav.products')}</h1>
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); go(['products'], { q: text }); }}>
        <label>
          {t('search')}
          <input type="search" name="q" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('search')}</button>
      </form>
      <DataTable
        caption={t('nav.products')}
        page={list.page}
        problem={list.problem}
        columns={[
          { label: t('product.sku'), render: (p) => <a href={href(['products', p.id])}><Value record={p} field="sku" /></a> },
          { label: t('product.name'), render: (p) => <Value record={p} field="name" /> },
          { label: t('product.listPrice'), num: true, render: (p) => priceOf(p, 'listPrice') },
          { label: t('product.cost'), num: true, wide: true, render: (p) => priceOf(p, 'cost') },
        ]}
        first={cursor ? href(['products'], { q }) : undefined}
        next={list.page?.nextCursor ? href(['products'], { q, cursor: list.page.nextCursor }) : undefined}
      />
    </section>
  );
}

export function ProductPage(props: { id: string }) {
  const [product, setProduct] = useState<Product | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  useEffect(() => {
    void api.GET('/api/v1/products/{id}', { params: { path: { id: props.id } } }).then(({ data, error, response }) => {
      if (data) setProduct(data);
      else setProblem(problemOf(error, response.status));
    });
  }, [props.id]);
  if (problem) return <p class="error" role="alert">{problem.status === 404 ? t('error.notFound') : problem.title}</p>;
  if (!product) return <p role="status">{t('loading')}</p>;
  const p = product as Record<string, unknown>;
  return (
    <section aria-labelledby="product-title">
      <p><a href={href(['products'])}>← {t('product.back')}</a></p>
      <h1 id="product-title"><Value record={p} field="sku" /> — <Value record={p} field="name" /></h1>
      <dl class="fields">
        <div><dt>{t('product.uom')}</dt><dd><Value record={p} field="uom" /></dd></div>
        <div><dt>{t('product.listPrice')}</dt><dd data-field="listPrice">{priceOf(p, 'listPrice')}</dd></div>
        <div><dt>{t('product.cost')}</dt><dd data-field="cost">{priceOf(p, 'cost')}</dd></div>
        <div><dt>{t('product.description')}</dt><dd><Value record={p} field="description" /></dd></div>
      </dl>
      {may('inventory', 'read') && <Stock productId={props.id} />}
    </section>
  );
}

function Stock(props: { productId: string }) {
  const list = useList<Schemas['InventoryLevel']>(() => api.GET('/api/v1/inventory', { params: { query: { productId: props.productId, limit: 100 } } }), [props.productId]);
  return (
    <section aria-labelledby="stock-title">
      <h2 id="stock-title">{t('product.stock')}</h2>
      <DataTable
        caption={t('product.stock')}
        page={list.page}
        problem={list.problem}
        columns={[
          { label: t('inventory.warehouse'), render: (i) => <Value record={i} field="warehouse" /> },
          { label: t('inventory.onHand'), num: true, render: (i) => <Value record={i} field="onHand" /> },
          { label: t('inventory.reserved'), num: true, render: (i) => <Value record={i} field="reserved" /> },
          { label: t('inventory.available'), num: true, render: (i) => <Value record={i} field="available" /> },
        ]}
      />
    </section>
  );
}
