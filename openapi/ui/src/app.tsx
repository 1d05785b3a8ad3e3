import { useEffect, useState } from 'preact/hooks';
import type { Principal } from './api.js';
import { LOCALES, locale, setLocale, t, type Locale, type MessageKey } from './i18n.js';
import { CustomerPage } from './pages/customer.js';
import { CustomerForm } from './pages/customer-form.js';
import { CustomersPage } from './pages/customers.js';
import { PaymentsPage, ReceivablesPage } from './pages/finance.js';
import { OrderPage, OrdersPage } from './pages/orders.js';
import { ProductPage, ProductsPage } from './pages/products.js';
import { AgingReport, SalesReport } from './pages/reports.js';
import { FeedsPage } from './pages/feeds.js';
import { may, permissions, type Entity } from './permissions.js';
import { OPS_NAV, opsPage } from './pages/ops/routes.js';
import { SignIn } from './pages/signin.js';
import { href, route } from './route.js';
import { hasRole, loadUser, signOut, user } from './session.js';
import { useSignal } from './state.js';

export function App() {
  const me = useSignal(user);
  const [signOutFailed, setSignOutFailed] = useState(false);
  useSignal(locale);
  useSignal(permissions);
  useEffect(() => {
    void loadUser();
  }, []);
  if (me === undefined) return <p class="loading" role="status">{t('loading')}</p>;
  if (me === null) return <SignIn />;
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href="#/">{t('app.title')}</a>
        <nav aria-label={t('nav.main')}>
          {CRM_NAV.filter((n) => may(n.entity, 'read')).map((n) => (
            <a key={n.path} href={href([n.path])}>{t(n.label)}</a>
          ))}
          {may('receivable', 'read') && <a href={href(['reports', 'aging'])}>{t('nav.aging')}</a>}
          {may('order', 'read') && permissions.get()?.['order']?.fields['total'] === 'allow' && <a href={href(['reports', 'sales'])}>{t('nav.sales')}</a>}
          {hasRole(me, 'admin', 'ar_clerk') && <a href={href(['feeds'])}>{t('nav.feeds')}</a>}
          {OPS_NAV.filter((n) => n.visible(me)).map((n) => (
            <a key={n.label} href={href(n.path)}>{t(n.label)}</a>
          ))}
          <a href="./docs/" target="_blank" rel="noopener">{t('nav.apiDocs')}</a>
        </nav>
        <div class="me">
          <span class="who" data-testid="me">
            <strong>{me.displayName ?? me.username}</strong>
            <span class="roles">
              <span class="sr-only">{t('user.roles')}: </span>{me.roles.join(', ')}
              {me.teamName && <> · <span class="sr-only">{t('user.team')}: </span>{me.teamName}</>}
            </span>
          </span>
          <LanguageSwitch />
          <button type="button" onClick={() => signOut().then(() => setSignOutFailed(false), () => setSignOutFailed(true))}>{t('signout')}</button>
          {signOutFailed && <span class="error" role="alert">{t('signout.failed')}</span>}
        </div>
      </header>
      <main id="main">
        <Page me={me} />
      </main>
    </div>
  );
}

export function LanguageSwitch() {
  const current = useSignal(locale);
  return (
    <label class="lang">
      <span class="sr-only">{t('language')}</span>
      <select value={current} onChange={(e) => setLocale((e.currentTarget as HTMLSelectElement).value as Locale)} aria-label={t('language')}>
        {LOCALES.map((l) => (
          <option value={l} key={l}>{l === 'en' ? 'English' : '简体中文'}</option>
        ))}
      </select>
    </label>
  );
}

function Page(props: { me: Principal }) {
  const r = useSignal(route);
  const ops = opsPage(r, props.me);
  if (ops) return ops;
  const [first, second, third] = r.path;
  switch (first) {
    case 'customers':
      if (second === 'new') return <CustomerForm />;
      if (second && third === 'edit') return <CustomerForm id={second} />;
      return second ? <CustomerPage id={second} /> : <CustomersPage query={r.query} />;
    case 'orders':
      return second ? <OrderPage id={second} /> : <OrdersPage query={r.query} />;
    case 'products':
      return second ? <ProductPage id={second} /> : <ProductsPage query={r.query} />;
    case 'receivables':
      return <ReceivablesPage query={r.query} />;
    case 'payments':
      return <PaymentsPage query={r.query} />;
    case 'feeds':
      return <FeedsPage query={r.query} />;
    case 'reports':
      return second === 'sales' ? <SalesReport query={r.query} /> : <AgingReport query={r.query} />;
    default: {
      // The first page the user may read.
      const home = CRM_NAV.find((n) => may(n.entity, 'read'));
      if (home?.path === 'orders') return <OrdersPage query={r.query} />;
      if (home?.path === 'products') return <ProductsPage query={r.query} />;
      if (home?.path === 'receivables') return <ReceivablesPage query={r.query} />;
      if (home) return <CustomersPage query={r.query} />;
      // Nothing of the CRM to read (an auditor): the first console page the user may use.
      const console = OPS_NAV.find((n) => n.visible(props.me));
      return (console && opsPage({ path: [...console.path], query: r.query }, props.me)) ?? <p>{t('empty')}</p>;
    }
  }
}

const CRM_NAV: readonly { path: string; entity: Entity; label: MessageKey }[] = [
  { path: 'customers', entity: 'customer', label: 'nav.customers' },
  { path: 'orders', entity: 'order', label: 'nav.orders' },
  { path: 'products', entity: 'product', label: 'nav.products' },
  { path: 'receivables', entity: 'receivable', label: 'nav.receivables' },
  { path: 'payments', entity: 'payment', label: 'nav.payments' },
];
