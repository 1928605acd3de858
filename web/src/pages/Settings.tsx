import { api, type Connection } from "../api";
import { ErrorBanner, useAction, useAsync } from "../ui";

// Tenant settings the dashboard lets an operator change. Sign-up is the
// database connection's options.disable_signup (PATCH /connections/{id}),
// the one switch POST /dbconnections/signup obeys.
export function SettingsPage() {
  const conns = useAsync(() => api.get<Connection[]>("/connections"));
  const action = useAction();
  const conn = conns.data?.[0];
  const enabled = conn ? !conn.options?.disable_signup : false;
  const toggle = (on: boolean) => action.run(async () => {
    await api.patch(`/connections/${encodeURIComponent(conn!.id)}`, { options: { disable_signup: !on } });
    conns.reload();
  });
  return (
    <section>
      <div class="page-head"><h1>Settings</h1></div>
      <ErrorBanner error={conns.error || action.error} />
      {conn && (
        <div class="card" id="signup-settings">
          <h2>Sign-up</h2>
          <p class="muted">Whether users may create their own account with <code>POST /dbconnections/signup</code> (Auth0's <code>database.signUp</code>) on the <code>{conn.name}</code> connection (<code>{conn.id}</code>). Operators can always create users on the Users page.</p>
          <label class="switch">
            <input id="signup-enabled" type="checkbox" checked={enabled} onChange={(e) => toggle((e.target as HTMLInputElement).checked)} />
            <span id="signup-state">{enabled ? "Sign-up enabled" : "Sign-up disabled"}</span>
          </label>
        </div>
      )}
    </section>
  );
}
