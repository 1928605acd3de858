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

export function TryItPage() {
  const clients = useAsync(() => api.get<Client[]>("/clients"));
  const apis = useAsync(() => api.get<ResourceServer[]>("/resource-servers"));
  const grants = useAsync(() => api.get<ClientGrant[]>("/client-grants"));
  const [clientId, setClientId] = useState("");
  const [audience, setAudience] = useState("");
  const [result, setResult] = useState<TryTokenResult | null>(null);
  const action = useAction();

  const apps = (clients.data ?? []).filter((c) => !c.global && (c.grant_types ?? []).includes("client_credentials"));
  const authorized = (grants.data ?? []).filter((g) => g.client_id === clientId).map((g) => g.audience);
  const choices = (apis.data ?? []).filter((a) => !a.is_system);
  useEffect(() => { if (!clientId && apps.length) setClientId(apps[0].client_id); }, [apps.length]);
  useEffect(() => {
    if (authorized.length && !authorized.includes(audience)) setAudience(authorized[0]);
  }, [clientId, grants.data]);

  const get = () => action.run(async () => {
    setResult(null);
    setResult(await request<TryTokenResult>("POST", "/dashboard/api/try-token", { client_id: clientId, audience }));
  });
  const tokenParts = typeof result?.response?.access_token === "string" ? (result.response.access_token as string).split(".") : null;
  const header = tokenParts ? decodePart(tokenParts[0]) : null;
  const payload = tokenParts ? decodePart(tokenParts[1]) : null;

  return (
    <section>
      <h1>Try it</h1>
      <p class="muted">Get a token the way an application would (client credentials) and see what your enabled hook did to it. The application's secret is used server-side; you don't need to type it.</p>
      <ErrorBanner error={clients.error || apis.error || grants.error} />
      {clients.data && apps.length === 0 ? (
        <Empty title="No machine-to-machine application yet"><p><a href="#/applications">Create an application</a> and authorize it for an API first.</p></Empty>
      ) : (
        <div class="card form-grid">
          <label>Application
            <select id="try-client" value={clientId} onChange={(e) => setClientId((e.target as HTMLSelectElement).value)}>
              {apps.map((c) => <option value={c.client_id}>{c.name}</option>)}
            </select>
          </label>
          <label>API
            <select id="try-audience" value={audience} onChange={(e) => setAudience((e.target as HTMLSelectElement).value)}>
              <option value="">Choose an API</option>
              {choices.map((a) => <option value={a.identifier}>{a.name} ({a.identifier}){authorized.includes(a.identifier) ? "" : " — not authorized"}</option>)}
            </select>
          </label>
          <div class="actions"><button id="try-get" class="primary" type="button" disabled={!!action.busy || !clientId || !audience} onClick={get}>{action.busy ? "Getting…" : "Get token"}</button></div>
          {clientId && authorized.length === 0 && <p class="hint">This application is not authorized for any API yet: <a href={`#/applications/${clientId}`}>authorize it</a>.</p>}
        </div>
      )}
      <ErrorBanner error={action.error} />
      {result && (
        <div class="try-result">
          <div class="card">
            <h2>Response <span class={"badge" + (result.status === 200 ? " on" : " bad")} id="try-status">HTTP {result.status}</span></h2>
            <pre id="try-raw" class="wrap">{JSON.stringify(result.response, null, 2)}</pre>
          </div>
          {header && payload && (
            <div class="card">
              <h2>Decoded token</h2>
              <h3>Header</h3>
              <Claims obj={header} highlight={false} id="try-header" />
              <h3>Payload</h3>
              <Claims obj={payload} highlight={true} id="try-payload" />
              <p class="hint"><span class="hook-claim">Highlighted</span> claims are not set by the server itself: they came from the hook.</p>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
