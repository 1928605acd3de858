import { useEffect, useRef, useState } from "preact/hooks";
import type { EditorView } from "@codemirror/view";
import {
  api, ApiError, hookPoints, HOOK_NAME, request,
  type Client, type ClientGrant, type Hook, type HookPoint, type ResourceServer, type RunReport, type SessionInfo, type User,
} from "../api";
import { createEditor, compileDiagnostic, showDiagnostics } from "../editor";
import { setDirty } from "../dirty";
import { rootsFor } from "../hookTypes";
import { ErrorBanner, useAction, useAsync } from "../ui";
import { LiveLogs } from "../liveLogs";
import { NPM_NAME } from "../npm";

const MAX_SECRETS = 20;

export function HookEditor({ id }: { id: string }) {
  const loaded = useAsync(() => api.get<Hook>(`/hooks/${id}`), [id]);
  const points = useAsync(hookPoints);
  const [hook, setHook] = useState<Hook | null>(null);
  const [code, setCode] = useState("");
  const [saved, setSaved] = useState("");
  const [status, setStatus] = useState<string>("");
  const action = useAction();
  const [tab, setTab] = useState<"runner" | "secrets" | "modules" | "logs">("runner");
  const [renaming, setRenaming] = useState<string | null>(null);
  // Secret values typed on this page, sent with unsaved runs: stored
  // values are never readable back (compat-spec §3.3).
  const known = useRef<Record<string, string>>({});
  const view = useRef<EditorView | null>(null);
  const host = useRef<HTMLDivElement>(null);
  const saveRef = useRef<() => void>(() => {});
  const dirty = hook !== null && code !== saved;
  const point: HookPoint | undefined = points.data?.find((p) => p.id === hook?.triggerId);
  // The editor waits for the point table (its completions follow the
  // point's arguments), or starts without it when the table failed.
  const pointsSettled = !!points.data || !!points.error;

  useEffect(() => {
    if (!loaded.data) return;
    setHook(loaded.data);
    setCode(loaded.data.script);
    setSaved(loaded.data.script);
  }, [loaded.data]);

  useEffect(() => {
    if (!hook || !pointsSettled || view.current || !host.current) return;
    view.current = createEditor({
      parent: host.current,
      doc: hook.script,
      completions: rootsFor(point?.arguments ?? []),
      label: "Hook code",
      onChange: (d) => { setCode(d); action.setError(null); },
      onSave: () => saveRef.current(),
    });
    return () => { view.current?.destroy(); view.current = null; };
  }, [hook?.id, pointsSettled]);

  useEffect(() => { setDirty(dirty); }, [dirty]);
  useEffect(() => () => setDirty(false), []);

  const save = async () => {
    const v = view.current;
    if (!hook || !v) return;
    const script = v.state.doc.toString();
    setStatus("Saving…");
    const ok = await action.run(async () => {
      try {
        setHook(await api.patch<Hook>(`/hooks/${hook.id}`, { script }));
      } catch (e) {
        // A compile error also marks its line in the editor.
        const d = e instanceof ApiError ? compileDiagnostic(v, e.message) : null;
        if (d) showDiagnostics(v, [d]);
        throw e;
      }
      setSaved(script);
      showDiagnostics(v, []);
    }, "Saving…");
    setStatus(ok ? "Saved" : "");
  };
  saveRef.current = save;

  // Ctrl/Cmd+S anywhere on the page saves, not only inside the editor.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
        e.preventDefault();
        saveRef.current();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  if (loaded.error) return <section><p><a href="#/hooks">← Hooks</a></p><ErrorBanner error={loaded.error} /></section>;
  if (!hook) return <p class="loading">Loading…</p>;

  const patch = (body: Partial<Hook>) => action.run(async () => {
    const h = await api.patch<Hook>(`/hooks/${hook.id}`, body);
    setHook({ ...h, script: hook.script });
  });
  const remove = () => {
    if (!window.confirm(`Delete the hook "${hook.name}"? This cannot be undone.`)) return;
    action.run(async () => {
      await api.del(`/hooks/${hook.id}`);
      setDirty(false);
      location.hash = "#/hooks";
    });
  };
  const trigger = point?.label ?? hook.triggerId;

  return (
    <section class="editor-page">
      <div class="page-head">
        <div class="title-block">
          <a href="#/hooks" class="muted">← Hooks</a>
          {renaming === null ? (
            <h1>
              <span id="hook-name">{hook.name}</span>
              {dirty && <span class="unsaved" id="unsaved-marker" title="Unsaved changes" aria-label="Unsaved changes">●</span>}
              <button type="button" class="small" onClick={() => setRenaming(hook.name)}>Rename</button>
            </h1>
          ) : (
            <form class="rename" onSubmit={async (e) => { e.preventDefault(); if (HOOK_NAME.test(renaming) && await patch({ name: renaming })) setRenaming(null); }}>
              <input aria-label="New name" value={renaming} autofocus aria-invalid={!HOOK_NAME.test(renaming)}
                onInput={(e) => setRenaming((e.target as HTMLInputElement).value)} />
              <button class="small primary" type="submit" disabled={!HOOK_NAME.test(renaming)}>Rename</button>
              <button class="small" type="button" onClick={() => setRenaming(null)}>Cancel</button>
            </form>
          )}
          <span class="muted">{trigger}</span>
          <span class={"badge" + (hook.runtime === "node" ? " on" : "")} id="hook-runtime"
            title="Where the hook runs: Node.js for npm modules and Node built-ins, else the embedded engine">
            {hook.runtime === "node" ? "Node.js" : "embedded"}</span>
        </div>
        <div class="head-actions">
          <label class="switch">
            <input id="hook-enabled" type="checkbox" checked={hook.enabled} onChange={(e) => patch({ enabled: (e.target as HTMLInputElement).checked })} />
            {hook.enabled ? "Enabled" : "Disabled"}
          </label>
          <span class="status" role="status">{status}</span>
          <button id="hook-save" class="primary" type="button" onClick={save} title="Save (Ctrl/Cmd+S)">Save</button>
          <button type="button" class="danger" onClick={remove}>Delete</button>
        </div>
      </div>
      <ErrorBanner error={action.error} />
      <div class="split">
        <div class="code" ref={host} />
        <div class="panes">
          <div class="tabs" role="tablist">
            {(["runner", "secrets", "modules", "logs"] as const).map((t) => (
              <button type="button" role="tab" id={`tab-${t}`} aria-selected={tab === t} class={tab === t ? "active" : ""} onClick={() => setTab(t)}>
                {t === "runner" ? "Runner" : t === "secrets" ? "Secrets" : t === "modules" ? "Modules" : "Logs"}
              </button>
            ))}
          </div>
          <div hidden={tab !== "runner"}><Runner hook={hook} point={point} code={code} known={known.current} /></div>
          <div hidden={tab !== "secrets"}><Secrets hook={hook} known={known.current} /></div>
          <div hidden={tab !== "modules"}><Modules hook={hook} onSaved={(h) => setHook({ ...h, script: hook.script })} /></div>
          <div hidden={tab !== "logs"}><Logs hook={hook} /></div>
        </div>
      </div>
    </section>
  );
}

// defaultPayload is the point's runner payload as the server serves it.
const defaultPayload = (point?: HookPoint) => JSON.stringify(point?.default_payload ?? {}, null, 2);

function Runner({ hook, point, code, known }: { hook: Hook; point?: HookPoint; code: string; known: Record<string, string> }) {
  const [payload, setPayload] = useState<string | null>(null);
  const [report, setReport] = useState<RunReport | null>(null);
  const action = useAction();
  // Until the operator edits it, the payload follows the point table,
  // which may arrive after the hook.
  const shown = payload ?? defaultPayload(point);
  const run = () => action.run(async () => {
    setReport(null);
    let p: unknown;
    try {
      p = JSON.parse(shown);
    } catch (e) {
      throw new Error("The payload is not valid JSON: " + (e instanceof Error ? e.message : String(e)));
    }
    // The code as it is in the editor, saved or not, with the hook's
    // stored secrets (values typed on this page override them).
    setReport(await api.post<RunReport>(`/hooks/${hook.id}/run`, { script: code, payload: p, secrets: known }));
  }, "Running…");
  const unknownSecrets = Object.keys(known).length;
  return (
    <div class="pane" id="runner">
      <label>Payload
        <textarea id="runner-payload" rows={10} spellcheck={false} value={shown} onInput={(e) => setPayload((e.target as HTMLTextAreaElement).value)} />
      </label>
      <Prefill point={point} payload={shown} onFill={setPayload} />
      <div class="actions">
        <button type="button" class="small" onClick={() => setPayload(null)}>Reset payload</button>
        <button id="runner-run" type="button" class="primary" disabled={!!action.busy} onClick={run}>{action.busy || "Run"}</button>
      </div>
      <p class="hint">Runs the code in the editor without saving it, with the hook's stored secrets{unknownSecrets ? ` (and the ${unknownSecrets} typed on this page)` : ""}.</p>
      <ErrorBanner error={action.error} />
      {report && (
        <div id="runner-report" class={"report" + (report.error ? " failed" : "")}>
          <p><b>{report.error ? "Error" : "Result"}</b> <span class="muted">in {report.duration_ms.toFixed(1)} ms</span></p>
          {report.error ? (
            <pre id="runner-error">{report.error.status} {report.error.error}: {report.error.error_description}</pre>
          ) : (
            <pre id="runner-result">{JSON.stringify(report.result, null, 2)}</pre>
          )}
          <p><b>Console</b></p>
          {report.logs.length === 0 ? <p class="muted">No console output.</p> : (
            <pre id="runner-console">{report.logs.map((l) => `${l.level.padEnd(5)} ${l.message}`).join("\n")}</pre>
          )}
        </div>
      )}
    </div>
  );
}

// Prefill writes a real application, API and (for points with a user) user
// of the tenant into the runner's payload, in the shapes the hook gets them
// at a token request: client {id, name, tenant, metadata}, the audience,
// the scopes the request would be granted (the client grant's for client
// credentials, else all of the API's), user {id, tenant, username, email,
// emailVerified, displayName, user_metadata, app_metadata}. Only the keys
// the point's payload has are written; the rest of the payload is kept.
function Prefill({ point, payload, onFill }: { point?: HookPoint; payload: string; onFill: (p: string) => void }) {
  const data = useAsync(async () => {
    const [session, clients, apis, grants] = await Promise.all([
      request<SessionInfo>("GET", "/dashboard/api/session"),
      api.get<Client[]>("/clients?per_page=100"),
      api.get<ResourceServer[]>("/resource-servers?per_page=100"),
      api.get<ClientGrant[]>("/client-grants?per_page=100"),
    ]);
    return { tenant: session.tenant, clients: clients.filter((c) => !c.global), apis: apis.filter((a) => !a.is_system), grants };
  });
  const wantsUser = !!point && point.arguments.includes("user");
  const users = useAsync(() => wantsUser ? api.get<User[]>("/users?per_page=50") : Promise.resolve([] as User[]), [wantsUser]);
  const [clientId, setClientId] = useState("");
  const [audience, setAudience] = useState("");
  const [userId, setUserId] = useState("");
  const [error, setError] = useState<unknown>(null);
  if (!point || !point.arguments.includes("client")) return null;
  const d = data.data;
  const fill = () => {
    setError(null);
    let p: Record<string, unknown>;
    try {
      const v = JSON.parse(payload);
      p = v && typeof v === "object" && !Array.isArray(v) ? v : {};
    } catch {
      setError(new Error("The payload is not valid JSON; reset it first."));
      return;
    }
    const c = d?.clients.find((x) => x.client_id === clientId);
    if (c) p.client = { id: c.client_id, name: c.name, tenant: d!.tenant, metadata: c.client_metadata ?? {} };
    const a = d?.apis.find((x) => x.identifier === audience);
    if (a && point.arguments.includes("audience")) {
      p.audience = a.identifier;
      const g = d!.grants.find((x) => x.client_id === clientId && x.audience === a.identifier);
      const scopes = point.id === "credentials-exchange" ? (g?.scope ?? []) : (a.scopes ?? []).map((s) => s.value);
      p.scope = scopes.length ? scopes : undefined;
    }
    const u = (users.data ?? []).find((x) => x.user_id === userId);
    if (u && wantsUser) {
      p.user = {
        id: u.user_id, tenant: d!.tenant, username: u.username, email: u.email, emailVerified: !!u.email_verified,
        displayName: u.name, user_metadata: u.user_metadata ?? {}, app_metadata: u.app_metadata ?? {},
      };
    }
    onFill(JSON.stringify(p, null, 2));
  };
  return (
    <details class="prefill" id="runner-prefill">
      <summary>Fill the payload from this tenant</summary>
      <ErrorBanner error={data.error || users.error || error} />
      <div class="prefill-row">
        <select id="prefill-client" aria-label="Application" value={clientId} onChange={(e) => setClientId((e.target as HTMLSelectElement).value)}>
          <option value="">Application…</option>
          {(d?.clients ?? []).map((c) => <option value={c.client_id}>{c.name}</option>)}
        </select>
        {point.arguments.includes("audience") && (
          <select id="prefill-audience" aria-label="API" value={audience} onChange={(e) => setAudience((e.target as HTMLSelectElement).value)}>
            <option value="">API…</option>
            {(d?.apis ?? []).map((a) => <option value={a.identifier}>{a.name} ({a.identifier})</option>)}
          </select>
        )}
        {wantsUser && (
          <select id="prefill-user" aria-label="User" value={userId} onChange={(e) => setUserId((e.target as HTMLSelectElement).value)}>
            <option value="">User…</option>
            {(users.data ?? []).map((u) => <option value={u.user_id}>{u.email || u.username || u.user_id}</option>)}
          </select>
        )}
        <button id="prefill-fill" type="button" class="small" disabled={!d || (!clientId && !audience && !userId)} onClick={fill}>Fill</button>
      </div>
    </details>
  );
}

function Secrets({ hook, known }: { hook: Hook; known: Record<string, string> }) {
  const secrets = useAsync(() => api.get<Record<string, string>>(`/hooks/${hook.id}/secrets`), [hook.id]);
  // Secrets imported without a value (deploy-cli exports hide values) exist
  // by name only; the hook sees them as undefined until one is set.
  const unset = useAsync(() => api.get<string[]>(`/hooks/${hook.id}/secrets/unset`), [hook.id]);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [editing, setEditing] = useState<string | null>(null);
  const [newValue, setNewValue] = useState("");
  const action = useAction();
  const names = Object.keys(secrets.data ?? {}).sort();
  const full = names.length >= MAX_SECRETS;
  const act = (fn: () => Promise<unknown>) => action.run(async () => { await fn(); secrets.reload(); unset.reload(); });
  return (
    <div class="pane" id="secrets">
      <p class="hint">Read them in code as <code>context.webtask.secrets.NAME</code>. Values are encrypted and never shown again.</p>
      <ErrorBanner error={secrets.error || action.error} />
      {names.length === 0 ? <p class="muted">No secrets yet. Add API keys or passwords your hook needs here, not in the code.</p> : (
        <ul class="rows">
          {names.map((n) => (
            <li class="row" data-secret-name={n}>
              <code class="grow">{n}</code>
              {editing === n ? (
                <form class="inline" onSubmit={async (e) => {
                  e.preventDefault();
                  if (await act(() => api.patch(`/hooks/${hook.id}/secrets`, { [n]: newValue }))) { known[n] = newValue; setEditing(null); }
                }}>
                  <input type="password" aria-label={`New value for ${n}`} value={newValue} required onInput={(e) => setNewValue((e.target as HTMLInputElement).value)} />
                  <button class="small primary" type="submit">Update</button>
                  <button class="small" type="button" onClick={() => setEditing(null)}>Cancel</button>
                </form>
              ) : (
                <>
                  {unset.data?.includes(n)
                    ? <span class="warn" data-secret-unset={n}>no value: set one</span>
                    : <span class="masked" aria-label="hidden value">••••••••</span>}
                  <button type="button" class="small" onClick={() => { setEditing(n); setNewValue(""); }}>{unset.data?.includes(n) ? "Set" : "Change"}</button>
                  <button type="button" class="small danger" aria-label={`Delete secret ${n}`} onClick={() => {
                    if (window.confirm(`Delete the secret ${n}?`)) act(() => api.del(`/hooks/${hook.id}/secrets`, [n])).then((ok) => { if (ok) delete known[n]; });
                  }}>Delete</button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <form class="add-secret" onSubmit={async (e) => {
        e.preventDefault();
        if (await act(() => api.post(`/hooks/${hook.id}/secrets`, { [name]: value }))) {
          known[name] = value;
          setName("");
          setValue("");
        }
      }}>
        <input id="secret-name" aria-label="Secret name" placeholder="NAME" value={name} required disabled={full} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <input id="secret-value" aria-label="Secret value" type="password" placeholder="value" value={value} required disabled={full} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        <button id="secret-add" class="primary small" type="submit" disabled={full}>Add</button>
      </form>
      {full && <p class="hint">A hook has at most {MAX_SECRETS} secrets.</p>}
    </div>
  );
}

// Modules edits the hook's npm dependencies. Every change is saved at
// once: the server installs the new set before it saves, so npm's refusal
// (unknown package or version, a native build) shows here and the hook
// keeps running its previous set.
function Modules({ hook, onSaved }: { hook: Hook; onSaved: (h: Hook) => void }) {
  const [name, setName] = useState("");
  const [version, setVersion] = useState("");
  const [editing, setEditing] = useState<string | null>(null);
  const [newVersion, setNewVersion] = useState("");
  const action = useAction();
  const busy = action.busy;
  const deps = hook.dependencies ?? {};
  const names = Object.keys(deps).sort();
  const save = (next: Record<string, string>, what: string) =>
    action.run(async () => onSaved(await api.patch<Hook>(`/hooks/${hook.id}`, { dependencies: next })), what);
  const installed = hook.installed ?? {};
  const pinned = Object.keys(installed).filter((n) => !(n in deps)).sort();
  const st = hook.install;
  return (
    <div class="pane" id="modules">
      <p class="hint">npm packages the hook can <code>require()</code>, installed by the server from its npm registry when you save them
        (install scripts never run; packages that need a native build are refused; 64 MB at most).
        Inline pins such as <code>require('lodash@4.17.21')</code> in the code are installed too.</p>
      <p id="modules-status">
        Runtime: <b>{hook.runtime === "node" ? "Node.js" : "embedded engine"}</b>
        {st && <> · Install: <span class={"badge" + (st.status === "ready" ? " on" : "")} id="modules-install">{st.status}</span></>}
        {busy && <span class="status" role="status"> {busy}</span>}
      </p>
      {st?.error && <pre class="error" id="modules-install-error">{st.error}</pre>}
      <ErrorBanner error={action.error} />
      {names.length === 0 && pinned.length === 0 ? <p class="muted">No modules. Add one below, e.g. axios 0.21.1.</p> : (
        <ul class="rows" id="modules-list">
          {names.map((n) => (
            <li class="row" data-module-name={n}>
              <code class="grow">{n}</code>
              {editing === n ? (
                <form class="inline" onSubmit={async (e) => {
                  e.preventDefault();
                  if (await save({ ...deps, [n]: newVersion.trim() }, `Installing ${n}@${newVersion.trim()}…`)) setEditing(null);
                }}>
                  <input aria-label={`New version of ${n}`} value={newVersion} required onInput={(e) => setNewVersion((e.target as HTMLInputElement).value)} />
                  <button class="small primary" type="submit" disabled={!!busy}>Install</button>
                  <button class="small" type="button" onClick={() => setEditing(null)}>Cancel</button>
                </form>
              ) : (
                <>
                  <span>{deps[n]}{installed[n] && installed[n] !== deps[n] ? <span class="muted"> → {installed[n]}</span> : null}</span>
                  <button type="button" class="small" disabled={!!busy} onClick={() => { setEditing(n); setNewVersion(deps[n]); }}>Change</button>
                  <button type="button" class="small danger" disabled={!!busy} aria-label={`Remove module ${n}`} onClick={() => {
                    const next = { ...deps };
                    delete next[n];
                    save(next, `Removing ${n}…`);
                  }}>Remove</button>
                </>
              )}
            </li>
          ))}
          {pinned.map((n) => (
            <li class="row" data-module-name={n}>
              <code class="grow">{n}</code><span>{installed[n]} <span class="muted">(inline pin in the code)</span></span>
            </li>
          ))}
        </ul>
      )}
      <form class="add-secret" id="module-add-form" onSubmit={async (e) => {
        e.preventDefault();
        const n = name.trim(), v = version.trim() || "latest";
        if (await save({ ...deps, [n]: v }, `Installing ${n}@${v}…`)) {
          setName("");
          setVersion("");
        }
      }}>
        <input id="module-name" aria-label="Package name" placeholder="package" value={name} required aria-invalid={name !== "" && !NPM_NAME.test(name.trim())}
          onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <input id="module-version" aria-label="Version" placeholder="version (latest)" value={version} onInput={(e) => setVersion((e.target as HTMLInputElement).value)} />
        <button id="module-add" class="primary small" type="submit" disabled={!!busy || !NPM_NAME.test(name.trim())}>Add</button>
      </form>
    </div>
  );
}

// Logs shows the hook's console lines: recent ones, then live.
function Logs({ hook }: { hook: Hook }) {
  return (
    <div class="pane" id="logs">
      <LiveLogs stream={hook.name} recent={`/hooks/${hook.id}/logs`} idPrefix="logs"
        empty={<>Waiting for console output. Run the hook, or get a token in <a href="#/try">Try it</a>.</>} />
    </div>
  );
}
