import { useState } from 'preact/hooks';
import { signIn } from '../api.js';
import { Field, Problem } from '../components.jsx';
import { useAction } from '../hooks.js';

export function SignIn({ notice, onSignedIn }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, act } = useAction();

  const submit = (event) => {
    event.preventDefault();
    act(async () => onSignedIn(await signIn(email.trim(), password)));
  };

  return (
    <main class="sign-in">
      <form class="card sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">outbox</h1>
        <p class="muted">Sign in to the dashboard.</p>
        {notice && !error ? <p class="notice" role="status">{notice}</p> : null}
        <Field label="Email" name="email" error={error}>
          <input
            name="email"
            type="email"
            autocomplete="username"
            required
            autofocus
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </Field>
        <Field label="Password" name="password" error={error}>
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <Problem error={error} />
        <button class="button button-primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
