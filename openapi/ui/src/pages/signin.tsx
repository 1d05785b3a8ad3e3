import { useState } from 'preact/hooks';
import { problemOf } from '../api.js';
import { LanguageSwitch } from '../app.js';
import { t } from '../i18n.js';
import { expired, signIn } from '../session.js';
import { useSignal } from '../state.js';

export function SignIn() {
  const wasExpired = useSignal(expired);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { error: problem, response } = await signIn(username, password);
      if (problem || !response.ok) setError(problemOf(problem, response.status).title);
    } catch (err) {
      setError(problemOf(err).title);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">{t('signin.title')}</h1>
        {wasExpired && <p class="notice" role="status">{t('signin.expired')}</p>}
        <label>
          {t('signin.username')}
          <input name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          {t('signin.password')}
          <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{t('signin.submit')}</button>
        <LanguageSwitch />
      </form>
    </main>
  );
}
