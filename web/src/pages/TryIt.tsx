import { useEffect, useState } from "preact/hooks";
import { api, request, type Client, type ClientGrant, type ResourceServer, type TryTokenResult } from "../api";
import { Empty, ErrorBanner, useAction, useAsync } from "../ui";

// Registered claims this server sets itself; anything else in an access
// token came from the hook and is highlighted.
const OWN_CLAIMS = new Set(["iss", "sub", "aud", "iat", "exp", "azp", "scope", "gty", "jti", "nbf", "permissions"]);

function decodePart(part: string): Record<string, unknown> | null {
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

function Claims({ obj, highlight, id }: { obj: Record<string, unknown>; highlight: boolean; id: string }) {
  const entries = Object.entries(obj);
  return (
    <pre class="claims" id={id}>
      {"{\n"}
      {entries.map(([k, v], i) => {
        const hook = highlight && !OWN_CLAIMS.has(k);
        return (
          <span class={hook ? "hook-claim" : ""} data-claim={k} title={hook ? "Added by a hook" : undefined}>
            {"  " + JSON.stringify(k) + ": " + JSON.stringify(v) + (i < entries.length - 1 ? "," : "") + "\n"}
          </span>
        );
      })}
      {"}"}
    </pre>
  );
}

type Grant = "client_credentials" | "password";

export function TryItPage() {
  const clients = useAsync(() => api.get<Client[]>("/clients"));
  const apis = useAsync(() => api.get<ResourceServer[]>("/resource-servers"));
  const grants = useAsync(() => api.get<ClientGrant[]>("/client-grants"));
  const [grant, setGrant] = useState<Grant>("client_credentials");
  const [clientId, setClientId] = useState("");
  const [audience, setAudience] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [scope, setScope] = useState("");
  const [result, setResult] = useState<TryTokenResult | null>(null);
  const action = useAction();

  const apps = (clients.data ?? []).filter((c) => !c.global && (c.grant_types ?? []).includes(grant));
  const authorized = (grants.data ?? []).filter((g) => g.client_id === clientId).map((g) => g.audience);
  const choices = (apis.data ?? []).filter((a) => !a.is_system);
  useEffect(() => {
    if (!apps.some((c) => c.client_id === clientId)) setClientId(apps.length ? apps[0].client_id : "");
  }, [apps.length, grant]);
  useEffect(() => {
    if (grant === "client_credentials" && authorized.length && !authorized.includes(audience)) setAudience(authorized[0]);
  }, [clientId, grants.data, grant]);

  const pw = grant === "password";
  const ready = !!clientId && (pw ? !!username && !!password : !!audience);
  const get = () => action.run(async () => {
    setResult(null);
    const body = pw ? { grant_type: "password", client_id: clientId, audience, username, password, scope } : { client_id: clientId, audience };
    setResult(await request<TryTokenResult>("POST", "/dashboard/api/try-token", body));
  });
  const decoded = (field: string) => {
    const raw = result?.response?.[field];
    const parts = typeof raw === "string" ? raw.split(".") : null;
    return parts && parts.length === 3 ? { header: decodePart(parts[0]), payload: decodePart(parts[1]) } : null;
  };
  const access = decoded("access_token");
  const id = decoded("id_token");

  return (
    <section>
      <h1>Try it</h1>
      <p class="muted">Get a token the way an application would and see what your enabled hook did to it: client credentials run the credentials-exchange hook, a user's password the password-exchange hook. The application's secret is used server-side; you don't need to type it.</p>
      <ErrorBanner error={clients.error || apis.error || grants.error} />
      <div class="card form-grid">
        <label>Grant
          <select id="try-grant" value={grant} onChange={(e) => { setGrant((e.target as HTMLSelectElement).value as Grant); setResult(null); if ((e.target as HTMLSelectElement).value === "password") setAudience(""); }}>
            <option value="client_credentials">Client credentials (machine to machine)</option>
            <option value="password">Password (a user logs in)</option>
          </select>
        </label>
        {clients.data && apps.length === 0 ? (
          <Empty title={pw ? "No application with the password grant yet" : "No machine-to-machine application yet"}>
            <p><a href="#/applications">Create an application</a>{pw ? " with the password grant type." : " and authorize it for an API first."}</p>
          </Empty>
        ) : (
          <>
            <label>Application
              <select id="try-client" value={clientId} onChange={(e) => setClientId((e.target as HTMLSelectElement).value)}>
                {apps.map((c) => <option value={c.client_id}>{c.name}</option>)}
              </select>
            </label>
            <label>API
              <select id="try-audience" value={audience} onChange={(e) => setAudience((e.target as HTMLSelectElement).value)}>
                <option value="">{pw ? "No audience (the tenant's default API, else /userinfo only)" : "Choose an API"}</option>
                {choices.map((a) => <option value={a.identifier}>{a.name} ({a.identifier}){pw || authorized.includes(a.identifier) ? "" : " — not authorized"}</option>)}
              </select>
            </label>
            {pw && (
              <>
                <label>Username or email
                  <input id="try-username" autocomplete="off" value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
                </label>
                <label>Password
                  <input id="try-password" type="password" autocomplete="off" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
                </label>
                <label>Scope <span class="muted">(optional, e.g. openid profile email)</span>
                  <input id="try-scope" value={scope} onInput={(e) => setScope((e.target as HTMLInputElement).value)} />
                </label>
              </>
            )}
            <div class="actions"><button id="try-get" class="primary" type="button" disabled={!!action.busy || !ready} onClick={get}>{action.busy ? "Getting…" : "Get token"}</button></div>
            {!pw && clientId && authorized.length === 0 && <p class="hint">This application is not authorized for any API yet: <a href={`#/applications/${clientId}`}>authorize it</a>.</p>}
            {pw && <p class="hint">A real login: it runs the password-exchange hook, counts toward the user's failed-login limit and is written to the tenant log.</p>}
          </>
        )}
      </div>
      <ErrorBanner error={action.error} />
      {result && (
        <div class="try-result">
          <div class="card">
            <h2>Response <span class={"badge" + (result.status === 200 ? " on" : " bad")} id="try-status">HTTP {result.status}</span></h2>
            <pre id="try-raw" class="wrap">{JSON.stringify(result.response, null, 2)}</pre>
          </div>
          {access?.header && access.payload && (
            <div class="card">
              <h2>Decoded access token</h2>
              <h3>Header</h3>
              <Claims obj={access.header} highlight={false} id="try-header" />
              <h3>Payload</h3>
              <Claims obj={access.payload} highlight={true} id="try-payload" />
              <p class="hint"><span class="hook-claim">Highlighted</span> claims are not set by the server itself: they came from the hook.</p>
            </div>
          )}
          {id?.payload && (
            <div class="card">
              <h2>Decoded ID token</h2>
              <Claims obj={id.payload} highlight={false} id="try-id-payload" />
            </div>
          )}
        </div>
      )}
    </section>
  );
}
