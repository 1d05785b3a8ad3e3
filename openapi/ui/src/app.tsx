import { useEffect } from 'preact/hooks';
import type { Principal } from './api.js';
import { LOCALES, locale, setLocale, t, type Locale } from './i18n.js';
import { CustomerPage } from './pages/customer.js';
import { CustomersPage } from './pages/customers.js';
import { OPS_NAV, opsPage } from './pages/ops/routes.js';
import { SignIn } from './pages/signin.js';
import { href, route } from './route.js';
import { loadUser, signOut, user } from './session.js';
import { useSignal } from './state.js';

export function App() {
  const me = useSignal(user);
  useSignal(locale);
  useEffect(() => {
    void loadUser();
  }, []);
  if (me === undefined) return <p class="loading" role="status">{t('loading')}</p>;
  if (me === null) return <SignIn />;
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href={href(['customers'])}>{t('app.title')}</a>
        <nav aria-label={t('nav.main')}>
          <a href={href(['customers'])}>{t('nav.customers')}</a>
          {OPS_NAV.filter((n) => n.visible(me)).map((n) => (
            <a key={n.label} href={href(n.path)}>{t(n.label)}</a>
          ))}
          <a href="./docs/" target="_blank" rel="noopener">{t('nav.apiDocs')}</a>
        </nav>
        <div class="me">
          <span class="who" data-testid="me">
            <strong>{me.displayName ?? me.username}</strong>
            <span class="roles" title={t('user.roles')}>{me.roles.join(', ')}</span>
          </span>
          <LanguageSwitch />
          <button type="button" onClick={() => void signOut()}>{t('signout')}</button>
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
  const [first, second] = r.path;
  if (first === 'customers' && second) return <CustomerPage id={second} />;
  return <CustomersPage query={r.query} />;
}
