import { useState } from "preact/hooks";
import { api, type User } from "../api";
import { Empty, ErrorBanner, Modal, fmtDate, useAction, useAsync } from "../ui";

export function UsersPage() {
  const [q, setQ] = useState("");
  const [search, setSearch] = useState("");
  const users = useAsync(() => api.get<User[]>(`/users?per_page=50&search_engine=v3${search ? "&q=" + encodeURIComponent(search) : ""}`), [search]);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const action = useAction();
  const act = (fn: () => Promise<unknown>) => action.run(async () => { await fn(); users.reload(); });
  return (
    <section>
      <div class="page-head"><h1>Users</h1><button id="create-user" class="primary" type="button" onClick={() => setCreating(true)}>+ Create User</button></div>
      <p class="muted">Users of the database connection, who get tokens with the password grant.</p>
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); setSearch(q.trim()); }}>
        <input aria-label="Search users" placeholder="Search by email, name or username" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        <button type="submit">Search</button>
      </form>
      <ErrorBanner error={users.error || action.error} />
      {users.data && users.data.length === 0 ? (
        <Empty title={search ? "No user matches" : "No users yet"}><p>{search ? "Try another search." : "Create a user to try the password grant."}</p></Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead><tr><th>Email</th><th>Name</th><th>Metadata</th><th>Logins</th><th>Last login</th><th>Actions</th></tr></thead>
            <tbody>
              {(users.data ?? []).map((u) => (
                <tr data-user={u.email}>
                  <td>{u.email} {u.blocked && <span class="badge bad">blocked</span>}</td><td>{u.name}</td><td><Metadata user={u} /></td><td>{u.logins_count ?? 0}</td><td>{fmtDate(u.last_login)}</td>
                  <td class="row-actions">
                    <button type="button" class="small" onClick={() => setEditing(u)}>Edit</button>
                    <button type="button" class="small" onClick={() => act(() => api.patch(`/users/${encodeURIComponent(u.user_id)}`, { blocked: !u.blocked }))}>{u.blocked ? "Unblock" : "Block"}</button>
                    <button type="button" class="small" title="Lift a block set by too many failed logins" onClick={() => act(() => api.del(`/user-blocks/${encodeURIComponent(u.user_id)}`))}>Lift brute-force block</button>
                    <button type="button" class="small danger" onClick={() => { if (window.confirm(`Delete ${u.email}?`)) act(() => api.del(`/users/${encodeURIComponent(u.user_id)}`)); }}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && <CreateUser onClose={() => { setCreating(false); users.reload(); }} />}
      {editing && <EditUser user={editing} onClose={() => { setEditing(null); users.reload(); }} />}
    </section>
  );
}

// Metadata shows what the user carries, a hook's additions included
// (pre-user-registration's app_metadata, say): each object as compact JSON.
function Metadata({ user }: { user: User }) {
  const show = (label: string, m?: Record<string, unknown>) =>
    m && Object.keys(m).length > 0 ? <div class={label}><span class="muted">{label}</span> <code class="small-text">{JSON.stringify(m)}</code></div> : null;
  const app = show("app_metadata", user.app_metadata), usr = show("user_metadata", user.user_metadata);
  return app || usr ? <>{app}{usr}</> : <span class="muted">none</span>;
}

function CreateUser({ onClose }: { onClose: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const action = useAction();
  return (
    <Modal title="New User" onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          await api.post("/users", { connection: "Username-Password-Authentication", email, password });
          onClose();
        });
      }}>
        <label>Email<input type="email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} /></label>
        <label>Password<input type="password" required autocomplete="new-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} /></label>
        <ErrorBanner error={action.error} />
        <div class="actions"><button type="button" onClick={onClose}>Cancel</button><button class="primary" type="submit">Create</button></div>
      </form>
    </Modal>
  );
}

function EditUser({ user, onClose }: { user: User; onClose: () => void }) {
  const [userMeta, setUserMeta] = useState(JSON.stringify(user.user_metadata ?? {}, null, 2));
  const [appMeta, setAppMeta] = useState(JSON.stringify(user.app_metadata ?? {}, null, 2));
  const action = useAction();
  return (
    <Modal title={`Edit ${user.email}`} onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          await api.patch(`/users/${encodeURIComponent(user.user_id)}`, { user_metadata: JSON.parse(userMeta), app_metadata: JSON.parse(appMeta) });
          onClose();
        });
      }}>
        <label>user_metadata (JSON)<textarea rows={5} spellcheck={false} value={userMeta} onInput={(e) => setUserMeta((e.target as HTMLTextAreaElement).value)} /></label>
        <label>app_metadata (JSON)<textarea rows={5} spellcheck={false} value={appMeta} onInput={(e) => setAppMeta((e.target as HTMLTextAreaElement).value)} /></label>
        <ErrorBanner error={action.error} />
        <div class="actions"><button type="button" onClick={onClose}>Cancel</button><button class="primary" type="submit">Save</button></div>
      </form>
    </Modal>
  );
}
