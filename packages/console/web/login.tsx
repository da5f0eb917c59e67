/** The login form: a user and password (HTTP Basic), or an API key or JWT alone (Bearer) — the HTTP API's own login. */
import { useState } from 'preact/hooks';

export function Login(props: { error: string | null; onLogIn: (user: string, secret: string) => void }) {
  const [user, setUser] = useState('');
  const [secret, setSecret] = useState('');
  return (
    <form
      class="login"
      aria-label="Log in"
      onSubmit={(e) => {
        e.preventDefault();
        props.onLogIn(user.trim(), secret);
      }}
    >
      <h1>Spoke console</h1>
      <label>
        User{' '}
        <input
          name="user"
          autocomplete="username"
          value={user}
          onInput={(e) => setUser(e.currentTarget.value)}
        />
      </label>
      <label>
        Password, or API key without a user
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
        />
      </label>
      <button type="submit">Log in</button>
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
    </form>
  );
}
