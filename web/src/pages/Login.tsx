import { useState } from "preact/hooks";
import { request, type SessionInfo } from "../api";
import { ErrorBanner, useAction } from "../ui";

export function Login({ onSignedIn }: { onSignedIn: (s: SessionInfo) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => onSignedIn(await request<SessionInfo>("POST", "/dashboard/api/login", { email, password })));
  };
  return (
    <div class="login">
      <form class="card" onSubmit={submit} aria-label="Sign in">
        <h1>tokenhook</h1>
        <p class="muted">Sign in to manage hooks, applications and APIs.</p>
        <label>Email
          <input id="login-email" type="email" autocomplete="username" required value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        </label>
        <label>Password
          <input id="login-password" type="password" autocomplete="current-password" required value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        <ErrorBanner error={action.error} />
        <button id="login-submit" class="primary" type="submit" disabled={!!action.busy}>{action.busy ? "Signing in…" : "Sign in"}</button>
        <p class="hint">The first operator comes from <code>TOKENHOOK_ADMIN_EMAIL</code> and <code>TOKENHOOK_ADMIN_PASSWORD</code>;
          <code> tokenhook serve --dev</code> prints one.</p>
      </form>
    </div>
  );
}
