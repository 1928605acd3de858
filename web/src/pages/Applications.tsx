import { useState } from "preact/hooks";
import { api, type Client, type ClientGrant, type ResourceServer } from "../api";
import { Empty, ErrorBanner, Modal, Secret, CopyButton, formatKV, parseKV, useAction, useAsync } from "../ui";

const APP_TYPES: [string, string][] = [
  ["non_interactive", "Machine to Machine"],
  ["regular_web", "Regular Web Application"],
  ["spa", "Single Page Application"],
  ["native", "Native"],
];
const GRANT_TYPES = ["client_credentials", "password", "http://auth0.com/oauth/grant-type/password-realm"];

export function ApplicationsPage() {
  const clients = useAsync(() => api.get<Client[]>("/clients"));
  const [creating, setCreating] = useState(false);
  return (
    <section>
      <div class="page-head"><h1>Applications</h1>
        <button id="create-app" class="primary" type="button" onClick={() => setCreating(true)}>+ Create Application</button></div>
      <ErrorBanner error={clients.error} />
      {clients.data && clients.data.length === 0 ? (
        <Empty title="No applications yet"><p>Create a machine-to-machine application, then authorize it for an API.</p></Empty>
      ) : (
        <ul class="rows card">
          {(clients.data ?? []).map((c) => (
            <li class="row" data-app={c.name}>
              <a class="grow" href={`#/applications/${c.client_id}`}>{c.name}</a>
              {c.global && <span class="badge">management</span>}
              <span class="muted small-text">{APP_TYPES.find(([v]) => v === c.app_type)?.[1] ?? c.app_type}</span>
              <code class="small-text hide-narrow">{c.client_id}</code>
            </li>
          ))}
        </ul>
      )}
      {creating && <CreateApp onClose={() => setCreating(false)} />}
    </section>
  );
}

function CreateApp({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [type, setType] = useState("non_interactive");
  const [grants, setGrants] = useState<string[]>(["client_credentials"]);
  const [metadata, setMetadata] = useState("");
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const c = await api.post<Client>("/clients", { name, app_type: type, grant_types: grants, client_metadata: parseKV(metadata) });
      onClose();
      location.hash = `#/applications/${c.client_id}`;
    });
  };
  return (
    <Modal title="New Application" onClose={onClose}>
      <form onSubmit={submit}>
        <label>Name<input id="app-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
        <label>Type
          <select id="app-type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            {APP_TYPES.map(([v, l]) => <option value={v}>{l}</option>)}
          </select>
        </label>
        <fieldset><legend>Grant types</legend>
          {GRANT_TYPES.map((g) => (
            <label class="check"><input type="checkbox" checked={grants.includes(g)}
              onChange={(e) => setGrants((e.target as HTMLInputElement).checked ? [...grants, g] : grants.filter((x) => x !== g))} /> {g}</label>
          ))}
        </fieldset>
        <label>Metadata <span class="muted">(one key=value per line; hooks see it as client.metadata)</span>
          <textarea id="app-metadata" rows={3} value={metadata} onInput={(e) => setMetadata((e.target as HTMLTextAreaElement).value)} />
        </label>
        <ErrorBanner error={action.error} />
        <div class="actions"><button type="button" onClick={onClose}>Cancel</button><button id="app-create" class="primary" type="submit">Create</button></div>
      </form>
    </Modal>
  );
}

export function ApplicationDetail({ id }: { id: string }) {
  const client = useAsync(() => api.get<Client>(`/clients/${id}`), [id]);
  const apis = useAsync(() => api.get<ResourceServer[]>("/resource-servers"));
  const grants = useAsync(() => api.get<ClientGrant[]>(`/client-grants?client_id=${encodeURIComponent(id)}`), [id]);
  const action = useAction();
  const [metadata, setMetadata] = useState<string | null>(null);
  const c = client.data;
  if (client.error) return <section><a href="#/applications">← Applications</a><ErrorBanner error={client.error} /></section>;
  if (!c) return <p class="loading">Loading…</p>;
  const act = action.run;
  const rotate = () => {
    if (window.confirm("Rotate the client secret? The current secret stops working immediately.")) act(async () => client.setData(await api.post<Client>(`/clients/${id}/rotate-secret`)));
  };
  const remove = () => {
    if (window.confirm(`Delete the application "${c.name}"? Its grants go with it.`)) act(() => api.del(`/clients/${id}`)).then((ok) => { if (ok) location.hash = "#/applications"; });
  };
  return (
    <section>
      <a href="#/applications" class="muted">← Applications</a>
      <div class="page-head"><h1>{c.name}</h1>
        {!c.global && <button type="button" class="danger" onClick={remove}>Delete</button>}</div>
      <ErrorBanner error={action.error} />
      <div class="card">
        <dl class="kv">
          <dt>Client ID</dt><dd><code id="app-client-id">{c.client_id}</code> <CopyButton value={c.client_id} label="Copy client ID" /></dd>
          <dt>Client secret</dt><dd>{c.client_secret ? <Secret value={c.client_secret} label="client secret" /> : <span class="muted">none</span>}
            {" "}<button type="button" class="small" onClick={rotate}>Rotate secret</button></dd>
          <dt>Type</dt><dd>{APP_TYPES.find(([v]) => v === c.app_type)?.[1] ?? c.app_type}</dd>
          <dt>Grant types</dt><dd>{(c.grant_types ?? []).join(", ") || <span class="muted">none</span>}</dd>
          <dt>Metadata</dt><dd>
            {metadata === null ? (<>
              <code>{formatKV(c.client_metadata) || "—"}</code> <button type="button" class="small" onClick={() => setMetadata(formatKV(c.client_metadata))}>Edit</button>
            </>) : (
              <form onSubmit={async (e) => {
                e.preventDefault();
                if (await act(async () => client.setData(await api.patch<Client>(`/clients/${id}`, { client_metadata: parseKV(metadata) })))) setMetadata(null);
              }}>
                <textarea aria-label="Metadata" rows={3} value={metadata} onInput={(e) => setMetadata((e.target as HTMLTextAreaElement).value)} />
                <div class="actions"><button type="button" class="small" onClick={() => setMetadata(null)}>Cancel</button><button class="small primary" type="submit">Save metadata</button></div>
              </form>
            )}
          </dd>
        </dl>
      </div>
      <h2>APIs this application may call</h2>
      <p class="muted">Authorizing an API creates a client grant with the scopes you choose: the application can then get tokens for it with client credentials.</p>
      <ErrorBanner error={apis.error || grants.error} />
      {(apis.data ?? []).filter((a) => !a.is_system || c.global).length === 0 && <Empty title="No APIs yet"><p><a href="#/apis">Create an API</a> first.</p></Empty>}
      {(apis.data ?? []).filter((a) => !a.is_system || c.global).map((a) => (
        <GrantEditor api={a} clientId={id} grant={(grants.data ?? []).find((g) => g.audience === a.identifier)} onChange={grants.reload} />
      ))}
    </section>
  );
}

function GrantEditor({ api: rs, clientId, grant, onChange }: { api: ResourceServer; clientId: string; grant?: ClientGrant; onChange: () => void }) {
  const [scopes, setScopes] = useState<string[] | null>(null);
  const action = useAction();
  // A grant with allow_all_scopes (set through the API or deploy-cli) has
  // every scope ticked; choosing scopes here replaces it with that list.
  const allScopes = grant?.allow_all_scopes === true;
  const chosen = scopes ?? (allScopes ? (rs.scopes ?? []).map((s) => s.value) : grant?.scope ?? []);
  const act = (fn: () => Promise<unknown>) => action.run(async () => { await fn(); setScopes(null); onChange(); });
  return (
    <div class="card grant" data-api={rs.identifier}>
      <div class="group-head">
        <h3>{rs.name} <code class="small-text">{rs.identifier}</code></h3>
        <label class="switch"><input type="checkbox" aria-label={`Authorize ${rs.name}`} checked={!!grant} onChange={(e) => act(() =>
          (e.target as HTMLInputElement).checked
            ? api.post("/client-grants", { client_id: clientId, audience: rs.identifier, scope: chosen })
            : api.del(`/client-grants/${grant!.id}`))} /> {grant ? "Authorized" : "Not authorized"}</label>
      </div>
      {(rs.scopes ?? []).length > 0 && (
        <div class="scopes">
          {(rs.scopes ?? []).map((s) => (
            <label class="check" title={s.description}><input type="checkbox" data-scope={s.value} checked={chosen.includes(s.value)}
              onChange={(e) => setScopes((e.target as HTMLInputElement).checked ? [...chosen, s.value] : chosen.filter((x) => x !== s.value))} /> {s.value}</label>
          ))}
          {allScopes && scopes === null && <p class="hint" data-allow-all-scopes>All scopes of this API, including ones added later (allow_all_scopes).</p>}
          {grant && scopes !== null && <button type="button" class="small primary" onClick={() =>
            act(() => api.patch(`/client-grants/${grant.id}`, allScopes ? { scope: chosen, allow_all_scopes: null } : { scope: chosen }))}>Update scopes</button>}
        </div>
      )}
      <ErrorBanner error={action.error} />
    </div>
  );
}
