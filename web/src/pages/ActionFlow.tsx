import { useEffect, useRef, useState } from "preact/hooks";
import {
  api, hookPoints, listActions, listActionTriggers, listBindings, listHooks,
  type Action, type ActionBinding,
} from "../api";
import { triggerLabel, triggerRunsOn } from "../actionTriggers";
import { setDirty } from "../dirty";
import { Empty, ErrorBanner, useAction, useAsync } from "../ui";

// MAX_BINDINGS is Auth0's limit of Actions per trigger.
const MAX_BINDINGS = 20;

// A flow entry: an Action and the name its binding shows.
interface Entry {
  actionId: string;
  name: string;
  displayName: string;
  deployedVersion?: number;
}

const entryOf = (b: ActionBinding): Entry => ({
  actionId: b.action.id,
  name: b.action.name,
  displayName: b.display_name || b.action.name,
  deployedVersion: b.action.deployed_version?.number,
});

// move returns list with the item at from placed at to.
function move<T>(list: T[], from: number, to: number): T[] {
  if (from === to || to < 0 || to >= list.length) return list;
  const next = [...list];
  const [it] = next.splice(from, 1);
  next.splice(to, 0, it);
  return next;
}

// ActionFlow is a trigger's flow: its enabled hook (which runs first),
// then the bound Actions in execution order. The order is changed by
// dragging, by the arrow buttons or by Alt+Arrow keys on a row; Actions
// are added and removed, and Save replaces the trigger's bindings
// (PATCH /actions/triggers/{id}/bindings) in the order shown.
export function ActionFlow({ trigger }: { trigger: string }) {
  const triggers = useAsync(listActionTriggers);
  const bound = useAsync(() => listBindings(trigger), [trigger]);
  const actions = useAsync(listActions);
  const hook = useAsync(async () => {
    const points = await hookPoints();
    const point = points.find((p) => p.actions_trigger === trigger);
    if (!point) return null;
    const hooks = await listHooks();
    return { point, hook: hooks.find((h) => h.triggerId === point.id && h.enabled) ?? null };
  }, [trigger]);
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [dragging, setDragging] = useState<number | null>(null);
  // The dragged row, read by the drop handler: events of one drag can
  // arrive before the state above has re-rendered the handlers.
  const dragged = useRef<number | null>(null);
  const [over, setOver] = useState<number | null>(null);
  const [announce, setAnnounce] = useState("");
  const action = useAction();

  const server = (bound.data ?? []).map(entryOf);
  const list = entries ?? server;
  const dirty = entries !== null && JSON.stringify(entries.map((e) => e.actionId)) !== JSON.stringify(server.map((e) => e.actionId));
  useEffect(() => { setDirty(dirty); }, [dirty]);
  useEffect(() => () => setDirty(false), []);

  const t = triggers.data?.find((x) => x.id === trigger);
  if (triggers.data && !t) return <section><p><a href="#/actions">← Actions</a></p><p class="error">No trigger "{trigger}" on this server.</p></section>;

  const reorder = (from: number, to: number) => {
    if (to < 0 || to >= list.length) return;
    setEntries(move(list, from, to));
    setAnnounce(`${list[from].name} moved to position ${to + 1} of ${list.length}`);
  };
  const add = (a: Action) => {
    setEntries([...list, { actionId: a.id, name: a.name, displayName: a.name, deployedVersion: a.deployed_version?.number }]);
    setAnnounce(`${a.name} added at position ${list.length + 1}`);
  };
  const removeAt = (i: number) => {
    setEntries(list.filter((_, k) => k !== i));
    setAnnounce(`${list[i].name} removed`);
  };
  const save = () => action.run(async () => {
    const body = { bindings: list.map((e) => ({ ref: { type: "action_id", value: e.actionId }, display_name: e.displayName })) };
    const r = await api.patch<{ bindings?: ActionBinding[] }>(`/actions/triggers/${encodeURIComponent(trigger)}/bindings`, body);
    // The answer is the saved order; without one, read it again.
    if (r?.bindings) bound.setData(r.bindings);
    else bound.reload();
    setEntries(null);
  }, "Saving…");

  // The deployed version as the Actions list says (a binding's embedded
  // Action may not carry it).
  const deployedOf = (e: Entry) => (actions.data ?? []).find((a) => a.id === e.actionId)?.deployed_version?.number ?? e.deployedVersion;
  const inFlow = new Set(list.map((e) => e.actionId));
  const candidates = (actions.data ?? [])
    .filter((a) => a.supported_triggers.some((s) => s.id === trigger) && !inFlow.has(a.id))
    .sort((a, b) => a.name.localeCompare(b.name));
  const full = list.length >= MAX_BINDINGS;

  return (
    <section class="flow-page">
      <div class="page-head">
        <div class="title-block">
          <a href="#/actions" class="muted">← Actions</a>
          <h1>
            <span id="flow-title">{triggerLabel(trigger)}</span> <span class="muted small-text">{trigger} {t?.version}</span>
            {dirty && <span class="unsaved" id="flow-unsaved" title="Unsaved changes" aria-label="Unsaved changes">●</span>}
          </h1>
          <span class="muted">Runs inside {triggerRunsOn(trigger) || "token requests"}, in this order.</span>
        </div>
        <div class="head-actions">
          <span class="status" role="status">{action.busy}</span>
          <button type="button" disabled={!dirty} onClick={() => setEntries(null)}>Discard changes</button>
          <button id="flow-save" class="primary" type="button" disabled={!dirty || !!action.busy} onClick={save}>Save</button>
        </div>
      </div>
      <ErrorBanner error={triggers.error || bound.error || actions.error || action.error} />
      <p class="sr-only" aria-live="polite">{announce}</p>
      <div class="flow-split">
        <div class="card">
          <h2>Flow</h2>
          <div class="flow-step edge">Start: token request</div>
          {hook.data && (
            <div class="flow-step hook" id="flow-hook">
              {hook.data.hook
                ? <>Hook <a href={`#/hooks/${hook.data.hook.id}`}>{hook.data.hook.name}</a> <span class="muted small-text">({hook.data.point.label}, runs first)</span></>
                : <span class="muted">No enabled {hook.data.point.label} hook</span>}
            </div>
          )}
          {bound.loading && !bound.data ? <p class="muted">Loading…</p> : list.length === 0 ? (
            <Empty title="No Actions in this flow">
              <p>Add a deployed Action from the list beside it, then Save.</p>
            </Empty>
          ) : (
            <ol class="flow-list" id="flow-bindings">
              {list.map((e, i) => { const ver = deployedOf(e); return (
                <li class={"flow-step action" + (dragging === i ? " dragging" : "") + (over === i && dragging !== i ? " over" : "")}
                  data-binding={e.name} draggable tabIndex={0}
                  aria-label={`${i + 1}. ${e.displayName}. Alt+Up or Alt+Down moves it.`}
                  onDragStart={(ev) => { dragged.current = i; setDragging(i); ev.dataTransfer?.setData("text/plain", e.name); if (ev.dataTransfer) ev.dataTransfer.effectAllowed = "move"; }}
                  onDragOver={(ev) => { ev.preventDefault(); setOver(i); }}
                  onDragLeave={() => setOver((o) => (o === i ? null : o))}
                  onDrop={(ev) => { ev.preventDefault(); if (dragged.current !== null) reorder(dragged.current, i); dragged.current = null; setDragging(null); setOver(null); }}
                  onDragEnd={() => { dragged.current = null; setDragging(null); setOver(null); }}
                  onKeyDown={(ev) => {
                    if (!ev.altKey || (ev.key !== "ArrowUp" && ev.key !== "ArrowDown")) return;
                    ev.preventDefault();
                    const to = ev.key === "ArrowUp" ? i - 1 : i + 1;
                    reorder(i, to);
                    // Focus follows the moved row.
                    requestAnimationFrame(() => (document.querySelectorAll<HTMLElement>("#flow-bindings > li")[to])?.focus());
                  }}>
                  <span class="grip" aria-hidden="true">⠿</span>
                  <span class="pos">{i + 1}</span>
                  <a class="grow" href={`#/actions/${e.actionId}`}>{e.displayName}</a>
                  <span class={"badge" + (ver ? " on" : " bad")}>{ver ? `v${ver}` : "not deployed"}</span>
                  <button type="button" class="small" aria-label={`Move ${e.name} up`} disabled={i === 0} onClick={() => reorder(i, i - 1)}>↑</button>
                  <button type="button" class="small" aria-label={`Move ${e.name} down`} disabled={i === list.length - 1} onClick={() => reorder(i, i + 1)}>↓</button>
                  <button type="button" class="small danger" aria-label={`Remove ${e.name} from the flow`} onClick={() => removeAt(i)}>Remove</button>
                </li>
              ); })}
            </ol>
          )}
          <div class="flow-step edge">Complete: token issued</div>
        </div>
        <div class="card" id="flow-available">
          <h2>Add an Action</h2>
          {full && <p class="hint">A flow runs at most {MAX_BINDINGS} Actions.</p>}
          {candidates.length === 0 ? <p class="muted">No other Action for this trigger. <a href="#/actions">Create one</a>.</p> : (
            <ul class="rows">
              {candidates.map((a) => (
                <li class="row" data-candidate={a.name}>
                  <a class="grow" href={`#/actions/${a.id}`}>{a.name}</a>
                  {a.deployed_version ? <span class="badge on">v{a.deployed_version.number}</span> : <span class="badge">deploy it first</span>}
                  <button type="button" class="small" aria-label={`Add ${a.name} to the flow`} disabled={full || !a.deployed_version} onClick={() => add(a)}>+ Add</button>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}
