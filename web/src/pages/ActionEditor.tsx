import { useEffect, useRef, useState } from "preact/hooks";
import type { EditorView } from "@codemirror/view";
import {
  api, ApiError, buildError, listActionTriggers, listBindings,
  type Action, type ActionDependency, type ActionStatus, type ActionVersion,
} from "../api";
import { actionRoots } from "../actionTypes";
import { defaultEvent, triggerLabel } from "../actionTriggers";
import { createEditor, compileDiagnostic, showDiagnostics } from "../editor";
import { diffStats, lineDiff, type DiffLine } from "../diff";
import { setDirty } from "../dirty";
import { ErrorBanner, fmtDate, useAction, useAsync } from "../ui";
import { LiveLogs } from "../liveLogs";
import { NPM_NAME } from "../npm";

// Auth0's limits on an Action (compat-spec §7), checked here only to say
// so before the API does.
const MAX_SECRETS = 30;
const MAX_DEPENDENCIES = 10;
// How often a build in progress is polled.
const BUILD_POLL_MS = 1000;

const TAB_LABELS = { test: "Test", secrets: "Secrets", dependencies: "Dependencies", versions: "Versions", logs: "Logs" };

const building = (s?: ActionStatus) => s === "pending" || s === "building";

export function StatusBadge({ status, id }: { status: ActionStatus; id?: string }) {
  const cls = status === "built" ? " on" : status === "failed" ? " bad" : "";
  return <span class={"badge" + cls} id={id} data-status={status} title="The draft's build">{status}</span>;
}

// ActionEditor edits an Action's draft (code, secrets, dependencies),
// shows its build, deploys it, tests it, and lists its versions with a
// diff against the draft and a rollback.
export function ActionEditor({ id }: { id: string }) {
  const loaded = useAsync(() => api.get<Action>(`/actions/actions/${id}`), [id]);
  // Labels and the test panel's default event come from the trigger table.
  useAsync(listActionTriggers);
  const [act, setAct] = useState<Action | null>(null);
  const [code, setCode] = useState("");
  const [saved, setSaved] = useState("");
  const [status, setStatus] = useState("");
  const [tab, setTab] = useState<"test" | "secrets" | "dependencies" | "versions" | "logs">("test");
  const [versionsTick, setVersionsTick] = useState(0);
  const action = useAction();
  const view = useRef<EditorView | null>(null);
  const host = useRef<HTMLDivElement>(null);
  const saveRef = useRef<() => Promise<boolean>>(async () => false);
  const dirty = act !== null && code !== saved;
  const trigger = act?.supported_triggers[0]?.id ?? "";

  useEffect(() => {
    if (!loaded.data) return;
    setAct(loaded.data);
    setCode(loaded.data.code);
    setSaved(loaded.data.code);
  }, [loaded.data]);

  useEffect(() => {
    if (!act || view.current || !host.current) return;
    view.current = createEditor({
      parent: host.current,
      doc: act.code,
      completions: actionRoots(trigger),
      label: "Action code",
      onChange: (d) => { setCode(d); action.setError(null); },
      onSave: () => { saveRef.current(); },
    });
    return () => { view.current?.destroy(); view.current = null; };
  }, [act?.id]);

  useEffect(() => { setDirty(dirty); }, [dirty]);
  useEffect(() => () => setDirty(false), []);

  // A build in progress is polled until it ends; the code in the editor
  // is kept (only the build's state is taken).
  useEffect(() => {
    if (!act || !building(act.status)) return;
    const t = setTimeout(async () => {
      try {
        const a = await api.get<Action>(`/actions/actions/${act.id}`);
        setAct((cur) => cur && { ...a, code: cur.code });
      } catch (e) {
        action.setError(e);
      }
    }, BUILD_POLL_MS);
    return () => clearTimeout(t);
  }, [act]);

  // Changes other than code come back as the whole Action; the editor's
  // code stays as typed.
  const took = (a: Action) => setAct((cur) => ({ ...a, code: cur?.code ?? a.code }));

  const save = async (): Promise<boolean> => {
    const v = view.current;
    if (!act || !v) return false;
    const text = v.state.doc.toString();
    setStatus("Saving…");
    const ok = await action.run(async () => {
      try {
        const a = await api.patch<Action>(`/actions/actions/${act.id}`, { code: text });
        setAct({ ...a, code: text });
      } catch (e) {
        // A compile error also marks its line in the editor.
        const d = e instanceof ApiError ? compileDiagnostic(v, e.message) : null;
        if (d) showDiagnostics(v, [d]);
        throw e;
      }
      setSaved(text);
      showDiagnostics(v, []);
    }, "Saving…");
    setStatus(ok ? "Draft saved" : "");
    return ok;
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

  // waitBuilt waits for the draft's build to end; deploying earlier is
  // refused by the API.
  const waitBuilt = async (): Promise<Action> => {
    for (;;) {
      const a = await api.get<Action>(`/actions/actions/${id}`);
      if (!building(a.status)) return a;
      setStatus(`Building (${a.status})…`);
      await new Promise((r) => setTimeout(r, BUILD_POLL_MS));
    }
  };

  const deploy = async () => {
    if (!act) return;
    if (dirty && !(await save())) return;
    setStatus("Deploying…");
    const ok = await action.run(async () => {
      const a = await waitBuilt();
      took(a);
      if (a.status === "failed") throw new Error("The build failed; fix it before deploying:\n" + buildError(a));
      setStatus("Deploying…");
      await api.post<ActionVersion>(`/actions/actions/${act.id}/deploy`);
      took(await api.get<Action>(`/actions/actions/${act.id}`));
      setVersionsTick((t) => t + 1);
    }, "Deploying…");
    setStatus(ok ? "Deployed" : "");
  };

  if (loaded.error) return <section><p><a href="#/actions">← Actions</a></p><ErrorBanner error={loaded.error} /></section>;
  if (!act) return <p class="loading">Loading…</p>;

  const remove = async () => {
    const bound = (await Promise.all(act.supported_triggers.map((t) => listBindings(t.id).catch(() => []))))
      .some((list) => list.some((b) => b.action?.id === act.id));
    if (!window.confirm(bound ? `"${act.name}" is bound to a flow. Delete it and remove it from the flow? This cannot be undone.`
      : `Delete the Action "${act.name}"? This cannot be undone.`)) return;
    action.run(async () => {
      await api.del(`/actions/actions/${act.id}${bound ? "?force=true" : ""}`);
      setDirty(false);
      location.hash = "#/actions";
    });
  };
  const failure = act.status === "failed" ? buildError(act) : "";

  return (
    <section class="editor-page">
      <div class="page-head">
        <div class="title-block">
          <a href="#/actions" class="muted">← Actions</a>
          <h1>
            <span id="action-name">{act.name}</span>
            {dirty && <span class="unsaved" id="unsaved-marker" title="Unsaved changes" aria-label="Unsaved changes">●</span>}
          </h1>
          <span class="muted">{act.supported_triggers.map((t) => <a href={`#/flows/${t.id}`}>{triggerLabel(t.id)} <span class="small-text">({t.id} {t.version})</span></a>)} · {act.runtime}</span>
        </div>
        <div class="head-actions">
          <StatusBadge status={act.status} id="action-status" />
          <span class={"badge" + (act.deployed_version ? " on" : "")} id="action-deployed">
            {act.deployed_version ? `v${act.deployed_version.number} deployed` : "not deployed"}
            {act.deployed_version && !act.all_changes_deployed ? " · draft changed" : ""}
          </span>
          <span class="status" role="status" id="action-op">{status}</span>
          <button id="action-save" type="button" onClick={save} title="Save the draft (Ctrl/Cmd+S)">Save draft</button>
          <button id="action-deploy" class="primary" type="button" disabled={!!action.busy} onClick={deploy}
            title="Save the draft, wait for its build and deploy it as a new version">Deploy</button>
          <button type="button" class="danger" onClick={remove}>Delete</button>
        </div>
      </div>
      <ErrorBanner error={action.error} />
      {failure && <pre class="error" id="action-build-error">Build failed: {failure}</pre>}
      <div class="split">
        <div class="code" ref={host} />
        <div class="panes">
          <div class="tabs" role="tablist">
            {(["test", "secrets", "dependencies", "versions", "logs"] as const).map((t) => (
              <button type="button" role="tab" id={`tab-${t}`} aria-selected={tab === t} class={tab === t ? "active" : ""} onClick={() => setTab(t)}>
                {TAB_LABELS[t]}
              </button>
            ))}
          </div>
          <div hidden={tab !== "test"}><TestPanel act={act} trigger={trigger} dirty={dirty} save={save} /></div>
          <div hidden={tab !== "secrets"}><Secrets act={act} onSaved={took} /></div>
          <div hidden={tab !== "dependencies"}><Dependencies act={act} onSaved={took} /></div>
          <div hidden={tab !== "logs"}><ActionLogs act={act} /></div>
          <div hidden={tab !== "versions"}>
            <Versions act={act} draft={code} dirty={dirty} tick={versionsTick} onRolledBack={(a) => {
              // A rollback that updated the draft brings its code into the
              // editor (the confirmation said unsaved changes are lost).
              if (a.code !== saved && view.current) {
                view.current.dispatch({ changes: { from: 0, to: view.current.state.doc.length, insert: a.code } });
                setSaved(a.code);
                setCode(a.code);
              }
              setAct(a);
            }} />
          </div>
        </div>
      </div>
    </section>
  );
}

// TestPanel runs the saved draft on an event (POST /actions/actions/{id}/test);
// unsaved code is saved first, since the endpoint runs the draft.
function TestPanel({ act, trigger, dirty, save }: { act: Action; trigger: string; dirty: boolean; save: () => Promise<boolean> }) {
  const [event, setEvent] = useState<string | null>(null);
  const [answer, setAnswer] = useState<unknown>(undefined);
  const action = useAction();
  const shown = event ?? JSON.stringify(defaultEvent(trigger), null, 2);
  const run = async () => {
    setAnswer(undefined);
    let payload: unknown;
    try {
      payload = JSON.parse(shown);
    } catch (e) {
      action.setError(new Error("The event is not valid JSON: " + (e instanceof Error ? e.message : String(e))));
      return;
    }
    if (dirty && !(await save())) return;
    await action.run(async () => {
      setAnswer(await api.post<unknown>(`/actions/actions/${act.id}/test`, { payload }));
    }, "Running…");
  };
  return (
    <div class="pane" id="action-test">
      <label>Event
        <textarea id="action-test-event" rows={14} spellcheck={false} value={shown} onInput={(e) => setEvent((e.target as HTMLTextAreaElement).value)} />
      </label>
      <div class="actions">
        <button type="button" class="small" onClick={() => setEvent(null)}>Reset event</button>
        <button id="action-test-run" type="button" class="primary" disabled={!!action.busy} onClick={run}>{action.busy || "Run"}</button>
      </div>
      <p class="hint">Runs the saved draft (unsaved code is saved first) with the draft's secrets on this event, outside any token request: nothing is cached or written to users.</p>
      <ErrorBanner error={action.error} />
      {answer !== undefined && <TestAnswer answer={answer} />}
    </div>
  );
}

// TestAnswer shows the test endpoint's {payload}: the result (claims,
// scopes, metadata and cache operations the run asked for), the error,
// the console output and the duration; an answer of another shape is
// shown whole.
function TestAnswer({ answer }: { answer: unknown }) {
  const p = (answer && typeof answer === "object" && (answer as { payload?: unknown }).payload) as
    { result?: unknown; error?: { id?: string; msg?: string; status?: number } | null; logs?: string; stats?: { action_duration_ms?: number } } | undefined;
  const failed = isFailure(answer);
  if (!p || typeof p !== "object" || !("result" in p || "error" in p)) {
    return (
      <div class={"report" + (failed ? " failed" : "")}>
        <pre id="action-test-result" class="wrap">{JSON.stringify(answer, null, 2)}</pre>
      </div>
    );
  }
  const ms = p.stats?.action_duration_ms;
  return (
    <div class={"report" + (failed ? " failed" : "")}>
      <p><b>{failed ? "Error" : "Result"}</b>{typeof ms === "number" && <span class="muted"> in {ms.toFixed(1)} ms</span>}</p>
      {p.error && <pre id="action-test-error" class="error wrap">{p.error.status ? p.error.status + " " : ""}{p.error.id ? p.error.id + ": " : ""}{p.error.msg}</pre>}
      <pre id="action-test-result" class="wrap">{JSON.stringify(p.result ?? null, null, 2)}</pre>
      <p><b>Console</b></p>
      {p.logs ? <pre id="action-test-logs" class="wrap">{p.logs}</pre> : <p class="muted">No console output.</p>}
    </div>
  );
}

// isFailure reads an error out of the test answer, whatever its depth.
function isFailure(answer: unknown): boolean {
  if (!answer || typeof answer !== "object") return false;
  const p = (answer as { payload?: unknown }).payload ?? answer;
  return !!p && typeof p === "object" && !!(p as { error?: unknown }).error;
}

// Secrets: names and times are shown, values never (the API returns none).
// Every change sends the whole list: a name without a value keeps its
// stored value, a missing name is deleted.
function Secrets({ act, onSaved }: { act: Action; onSaved: (a: Action) => void }) {
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [editing, setEditing] = useState<string | null>(null);
  const [newValue, setNewValue] = useState("");
  const action = useAction();
  const secrets = [...(act.secrets ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const full = secrets.length >= MAX_SECRETS;
  const send = (list: { name: string; value?: string }[]) =>
    action.run(async () => onSaved(await api.patch<Action>(`/actions/actions/${act.id}`, { secrets: list })));
  const keep = (except: string) => secrets.filter((s) => s.name !== except).map((s) => ({ name: s.name }));
  return (
    <div class="pane" id="action-secrets">
      <p class="hint">Read them in code as <code>event.secrets.NAME</code>. Values are encrypted and never shown again; a deploy copies them into the version.</p>
      <ErrorBanner error={action.error} />
      {secrets.length === 0 ? <p class="muted">No secrets yet. Keep API keys and passwords here, not in the code.</p> : (
        <ul class="rows">
          {secrets.map((s) => (
            <li class="row" data-secret-name={s.name}>
              <code class="grow">{s.name}</code>
              {editing === s.name ? (
                <form class="inline" onSubmit={async (e) => {
                  e.preventDefault();
                  if (await send([...keep(s.name), { name: s.name, value: newValue }])) setEditing(null);
                }}>
                  <input type="password" aria-label={`New value for ${s.name}`} value={newValue} required onInput={(e) => setNewValue((e.target as HTMLInputElement).value)} />
                  <button class="small primary" type="submit">Update</button>
                  <button class="small" type="button" onClick={() => setEditing(null)}>Cancel</button>
                </form>
              ) : (
                <>
                  <span class="masked" aria-label="hidden value">••••••••</span>
                  <span class="muted small-text">{s.updated_at ? "updated " + fmtDate(s.updated_at) : ""}</span>
                  <button type="button" class="small" onClick={() => { setEditing(s.name); setNewValue(""); }}>Change</button>
                  <button type="button" class="small danger" aria-label={`Delete secret ${s.name}`} onClick={() => {
                    if (window.confirm(`Delete the secret ${s.name}?`)) send(keep(s.name));
                  }}>Delete</button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <form class="add-secret" onSubmit={async (e) => {
        e.preventDefault();
        const n = name.trim();
        if (await send([...keep(n), { name: n, value }])) {
          setName("");
          setValue("");
        }
      }}>
        <input id="action-secret-name" aria-label="Secret name" placeholder="NAME" value={name} required disabled={full} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <input id="action-secret-value" aria-label="Secret value" type="password" placeholder="value" value={value} required disabled={full} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        <button id="action-secret-add" class="primary small" type="submit" disabled={full || !!action.busy}>Add</button>
      </form>
      {full && <p class="hint">An Action has at most {MAX_SECRETS} secrets.</p>}
    </div>
  );
}

// Dependencies edits the draft's npm packages; each change is saved at
// once and starts a build, whose state the header shows.
function Dependencies({ act, onSaved }: { act: Action; onSaved: (a: Action) => void }) {
  const [name, setName] = useState("");
  const [version, setVersion] = useState("");
  const action = useAction();
  const deps = act.dependencies ?? [];
  const full = deps.length >= MAX_DEPENDENCIES;
  const send = (list: ActionDependency[]) =>
    action.run(async () => onSaved(await api.patch<Action>(`/actions/actions/${act.id}`, { dependencies: list })));
  return (
    <div class="pane" id="action-dependencies">
      <p class="hint">npm packages the code can <code>require()</code>. Saving a change starts a build (npm install on this server); the Action can be
        deployed once the build is <b>built</b>.</p>
      <p>Build: <StatusBadge status={act.status} />{act.built_at ? <span class="muted small-text"> built {fmtDate(act.built_at)}</span> : null}</p>
      <ErrorBanner error={action.error} />
      {deps.length === 0 ? <p class="muted">No dependencies. Add one below, e.g. axios 1.7.9.</p> : (
        <ul class="rows" id="action-deps">
          {deps.map((d) => (
            <li class="row" data-dependency={d.name}>
              <code class="grow">{d.name}@{d.version}</code>
              <button type="button" class="small danger" aria-label={`Remove dependency ${d.name}`} disabled={!!action.busy}
                onClick={() => send(deps.filter((x) => x.name !== d.name))}>Remove</button>
            </li>
          ))}
        </ul>
      )}
      <form class="add-secret" onSubmit={async (e) => {
        e.preventDefault();
        const n = name.trim(), v = version.trim() || "latest";
        if (await send([...deps.filter((x) => x.name !== n), { name: n, version: v }])) {
          setName("");
          setVersion("");
        }
      }}>
        <input id="action-dep-name" aria-label="Package name" placeholder="package" value={name} required disabled={full}
          aria-invalid={name !== "" && !NPM_NAME.test(name.trim())} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <input id="action-dep-version" aria-label="Version" placeholder="version (latest)" value={version} disabled={full}
          onInput={(e) => setVersion((e.target as HTMLInputElement).value)} />
        <button id="action-dep-add" class="primary small" type="submit" disabled={full || !!action.busy || !NPM_NAME.test(name.trim())}>Add</button>
      </form>
      {full && <p class="hint">An Action has at most {MAX_DEPENDENCIES} dependencies.</p>}
    </div>
  );
}

// Versions lists the deployed versions, newest first; one chosen shows
// its diff against the editor's draft and can be rolled back to (a new
// version with its code, dependencies and secrets).
function Versions({ act, draft, dirty, tick, onRolledBack }: { act: Action; draft: string; dirty: boolean; tick: number; onRolledBack: (a: Action) => void }) {
  const versions = useAsync(() => api.get<{ versions: ActionVersion[] }>(`/actions/actions/${act.id}/versions?per_page=50`).then((r) => r.versions), [act.id, tick, act.deployed_version?.id]);
  const [chosen, setChosen] = useState<string>("");
  const [updateDraft, setUpdateDraft] = useState(true);
  const action = useAction();
  const list = versions.data ?? [];
  const v = list.find((x) => x.id === chosen);
  const rollback = (ver: ActionVersion) => {
    if (!window.confirm(`Deploy version ${ver.number} again, as a new version?` + (updateDraft ? " The draft is replaced by its code" + (dirty ? ", and your unsaved changes are lost." : ".") : ""))) return;
    action.run(async () => {
      await api.post<ActionVersion>(`/actions/actions/${act.id}/versions/${ver.id}/deploy`, { update_draft: updateDraft });
      onRolledBack(await api.get<Action>(`/actions/actions/${act.id}`));
      versions.reload();
      setChosen("");
    }, "Rolling back…");
  };
  return (
    <div class="pane" id="action-versions">
      <ErrorBanner error={versions.error || action.error} />
      {list.length === 0 ? <p class="muted">No versions yet: Deploy makes version 1 from the draft.</p> : (
        <ul class="rows" id="action-version-list">
          {list.map((x) => (
            <li class="row" data-version={x.number}>
              <button type="button" class={"small" + (chosen === x.id ? " primary" : "")} aria-pressed={chosen === x.id}
                aria-label={`Compare version ${x.number} with the draft`} onClick={() => setChosen(chosen === x.id ? "" : x.id)}>v{x.number}</button>
              <span class="grow muted small-text">{fmtDate(x.created_at)}</span>
              {x.deployed && <span class="badge on">deployed</span>}
              <StatusBadge status={x.status} />
              {!x.deployed && <button type="button" class="small" id={`rollback-${x.number}`} disabled={!!action.busy}
                onClick={() => rollback(x)}>Roll back</button>}
            </li>
          ))}
        </ul>
      )}
      {list.length > 0 && (
        <label class="check"><input type="checkbox" id="rollback-update-draft" checked={updateDraft}
          onChange={(e) => setUpdateDraft((e.target as HTMLInputElement).checked)} />A rollback also replaces the draft with that version</label>
      )}
      {v && <Diff from={v.code} to={draft} title={`v${v.number} → draft`} />}
    </div>
  );
}

// CONTEXT is how many unchanged lines are shown around a change.
const CONTEXT = 3;

function Diff({ from, to, title }: { from: string; to: string; title: string }) {
  const d = lineDiff(from, to);
  const { added, removed } = diffStats(d);
  // Unchanged lines far from any change fold into one marker.
  const near = new Array<boolean>(d.length).fill(false);
  d.forEach((l, i) => {
    if (l.op === " ") return;
    for (let k = Math.max(0, i - CONTEXT); k <= Math.min(d.length - 1, i + CONTEXT); k++) near[k] = true;
  });
  const rows: (DiffLine | number)[] = [];
  for (let i = 0; i < d.length;) {
    if (near[i]) { rows.push(d[i]); i++; continue; }
    let j = i;
    while (j < d.length && !near[j]) j++;
    rows.push(j - i);
    i = j;
  }
  return (
    <div class="diff-wrap">
      <p><b>{title}</b> <span class="diff-stat" id="action-diff-stat"><span class="add">+{added}</span> <span class="del">−{removed}</span></span></p>
      {added + removed === 0 ? <p class="muted" id="action-diff">No differences: the draft is this version's code.</p> : (
        <pre class="diff" id="action-diff">{rows.map((r) => typeof r === "number"
          ? <div class="fold">⋯ {r} unchanged line{r === 1 ? "" : "s"}</div>
          : <div class={r.op === "+" ? "add" : r.op === "-" ? "del" : ""}><span class="ln">{r.oldNo || ""}</span><span class="ln">{r.newNo || ""}</span>{r.op} {r.text}</div>)}</pre>
      )}
    </div>
  );
}

// ActionLogs shows the console lines the deployed Action prints in token
// requests, live (the hooks' log stream, filtered by the Action's id).
function ActionLogs({ act }: { act: Action }) {
  return (
    <div class="pane" id="action-logs">
      <LiveLogs stream={act.id} idPrefix="action-logs"
        empty={<>Waiting for console output of the deployed Action in token requests (get one in <a href="#/try">Try it</a>). The Test tab shows a test run's own output.</>} />
    </div>
  );
}
