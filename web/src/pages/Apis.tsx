import { useState } from "preact/hooks";
import { api, type ResourceServer, type Scope } from "../api";
import { Empty, ErrorBanner, Modal, useAction, useAsync } from "../ui";

// Scopes are edited as lines "value description".
function parseScopes(text: string): Scope[] {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const [value, ...rest] = l.split(/\s+/);
    return { value, description: rest.join(" ") };
  });
}
const formatScopes = (s?: Scope[]) => (s ?? []).map((x) => (x.description ? `${x.value} ${x.description}` : x.value)).join("\n");

export function ApisPage() {
  const apis = useAsync(() => api.get<ResourceServer[]>("/resource-servers"));
  const [creating, setCreating] = useState(false);
  const list = (apis.data ?? []);
  return (
    <section>
      <div class="page-head"><h1>APIs</h1><button id="create-api" class="primary" type="button" onClick={() => setCreating(true)}>+ Create API</button></div>
      <p class="muted">An API is the audience of access tokens; its scopes are what applications can be granted.</p>
      <ErrorBanner error={apis.error} />
      {apis.data && list.filter((a) => !a.is_system).length === 0 && <Empty title="No APIs yet"><p>Create an API to issue tokens for it.</p></Empty>}
      <ul class="rows card">
        {list.map((a) => (
          <li class="row" data-api={a.identifier}>
            <a class="grow" href={`#/apis/${a.id}`}>{a.name}</a>
            {a.is_system && <span class="badge">system</span>}
            <code class="small-text hide-narrow">{a.identifier}</code>
          </li>
        ))}
      </ul>
      {creating && <CreateApi onClose={() => setCreating(false)} />}
    </section>
  );
}

function CreateApi({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [identifier, setIdentifier] = useState("");
  const [scopes, setScopes] = useState("");
  const [lifetime, setLifetime] = useState(86400);
  const action = useAction();
  return (
    <Modal title="New API" onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          const rs = await api.post<ResourceServer>("/resource-servers", { name, identifier, scopes: parseScopes(scopes), token_lifetime: lifetime });
          onClose();
          location.hash = `#/apis/${rs.id}`;
        });
      }}>
        <label>Name<input id="api-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
        <label>Identifier <span class="muted">(the audience, e.g. https://api.example.com/; cannot be changed)</span>
          <input id="api-identifier" required value={identifier} onInput={(e) => setIdentifier((e.target as HTMLInputElement).value)} /></label>
        <label>Scopes <span class="muted">(one per line: value, then an optional description)</span>
          <textarea id="api-scopes" rows={4} value={scopes} placeholder="read:data Read data" onInput={(e) => setScopes((e.target as HTMLTextAreaElement).value)} /></label>
        <label>Token lifetime (seconds)<input id="api-lifetime" type="number" min={1} value={lifetime} onInput={(e) => setLifetime(Number((e.target as HTMLInputElement).value))} /></label>
        <ErrorBanner error={action.error} />
        <div class="actions"><button type="button" onClick={onClose}>Cancel</button><button id="api-create" class="primary" type="submit">Create</button></div>
      </form>
    </Modal>
  );
}

export function ApiDetail({ id }: { id: string }) {
  const rs = useAsync(() => api.get<ResourceServer>(`/resource-servers/${id}`), [id]);
  const [form, setForm] = useState<{ name: string; scopes: string; lifetime: number } | null>(null);
  const action = useAction();
  const [saved, setSaved] = useState(false);
  const a = rs.data;
  if (rs.error) return <section><a href="#/apis">← APIs</a><ErrorBanner error={rs.error} /></section>;
  if (!a) return <p class="loading">Loading…</p>;
  const f = form ?? { name: a.name, scopes: formatScopes(a.scopes), lifetime: a.token_lifetime ?? 86400 };
  return (
    <section>
      <a href="#/apis" class="muted">← APIs</a>
      <div class="page-head"><h1>{a.name}</h1>
        {!a.is_system && <button type="button" class="danger" onClick={async () => {
          if (!window.confirm(`Delete the API "${a.name}"? Grants for it are deleted too.`)) return;
          action.run(async () => { await api.del(`/resource-servers/${id}`); location.hash = "#/apis"; });
        }}>Delete</button>}</div>
      <p>Identifier <code>{a.identifier}</code></p>
      <ErrorBanner error={action.error} />
      {a.is_system ? <p class="muted">The Management API itself; it cannot be changed.</p> : (
        <form class="card" onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          action.run(async () => {
            rs.setData(await api.patch<ResourceServer>(`/resource-servers/${id}`, { name: f.name, scopes: parseScopes(f.scopes), token_lifetime: f.lifetime }));
            setForm(null);
            setSaved(true);
          });
        }}>
          <label>Name<input value={f.name} required onInput={(e) => setForm({ ...f, name: (e.target as HTMLInputElement).value })} /></label>
          <label>Scopes <span class="muted">(one per line)</span><textarea rows={5} value={f.scopes} onInput={(e) => setForm({ ...f, scopes: (e.target as HTMLTextAreaElement).value })} /></label>
          <label>Token lifetime (seconds)<input type="number" min={1} value={f.lifetime} onInput={(e) => setForm({ ...f, lifetime: Number((e.target as HTMLInputElement).value) })} /></label>
          <div class="actions">{saved && <span class="status" role="status">Saved</span>}<button class="primary" type="submit">Save</button></div>
        </form>
      )}
    </section>
  );
}
