import { useState } from "preact/hooks";
import {
  api, listActions, listActionTriggers, listBindings, ACTION_NAME_MAX,
  type Action, type ActionBinding, type ActionTriggerInfo,
} from "../api";
import { starterCode, triggerLabel, triggerRunsOn } from "../actionTriggers";
import { Empty, ErrorBanner, Modal, useAction, useAsync } from "../ui";
import { StatusBadge } from "./ActionEditor";

// ActionsPage lists the tenant's Actions (triggers, build status, deployed
// version, where each is bound) and the triggers, each with a link to its
// flow, where bindings are ordered.
export function ActionsPage() {
  const actions = useAsync(listActions);
  const triggers = useAsync(listActionTriggers);
  // Every trigger's bindings, to say where each Action is bound.
  const bindings = useAsync(async () => {
    const ts = await listActionTriggers();
    const all = await Promise.all(ts.map((t) => listBindings(t.id)));
    return Object.fromEntries(ts.map((t, i) => [t.id, all[i]])) as Record<string, ActionBinding[]>;
  });
  const [creating, setCreating] = useState(false);
  const action = useAction();

  const boundTo = (a: Action) => Object.entries(bindings.data ?? {})
    .filter(([, list]) => list.some((b) => b.action?.id === a.id))
    .map(([t]) => t);

  const remove = (a: Action) => {
    const bound = boundTo(a);
    const msg = bound.length
      ? `The Action "${a.name}" is bound to ${bound.map(triggerLabel).join(", ")}. Delete it and remove it from ${bound.length > 1 ? "those flows" : "that flow"}? This cannot be undone.`
      : `Delete the Action "${a.name}"? This cannot be undone.`;
    if (!window.confirm(msg)) return;
    action.run(async () => {
      await api.del(`/actions/actions/${a.id}${bound.length ? "?force=true" : ""}`);
      actions.reload();
      bindings.reload();
    });
  };

  const list = [...(actions.data ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <section>
      <div class="page-head">
        <h1>Actions</h1>
        <button id="create-action" class="primary" type="button" disabled={!triggers.data} onClick={() => setCreating(true)}>+ Create Action</button>
      </div>
      <p class="muted">Actions are Auth0 Actions code (<code>exports.onExecute… = async (event, api) =&gt; {"{…}"}</code>) run inside
        <code> /oauth/token</code>. Deploy an Action, then bind it to its trigger's flow; a flow runs the enabled hook first, then its
        Actions in order.</p>
      <ErrorBanner error={actions.error || triggers.error || bindings.error || action.error} />

      <div class="card" id="action-triggers">
        <h2>Flows</h2>
        <ul class="rows">
          {(triggers.data ?? []).map((t) => (
            <li class="row" data-flow={t.id}>
              <a class="grow" href={`#/flows/${t.id}`}><b>{triggerLabel(t.id)}</b></a>
              <span class="muted small-text">{t.id} {t.version}</span>
              <span class="muted">{triggerRunsOn(t.id)}</span>
              <span class="badge" data-bound-count={t.id}>{(bindings.data?.[t.id] ?? []).length} bound</span>
              <a class="button small" href={`#/flows/${t.id}`} aria-label={`Edit the ${triggerLabel(t.id)} flow`}>Edit flow</a>
            </li>
          ))}
        </ul>
      </div>

      <div class="card">
        <h2>Custom Actions</h2>
        {actions.loading && !actions.data ? <p class="muted">Loading…</p> : list.length === 0 ? (
          <Empty title="No Actions yet">
            <p>Create one with <b>+ Create Action</b>, or import your tenant's Actions with auth0-deploy-cli.</p>
          </Empty>
        ) : (
          <div class="table-wrap">
            <table id="actions-table">
              <thead><tr><th>Name</th><th>Trigger</th><th>Build</th><th>Deployed</th><th>Bound</th><th><span class="hide-narrow">Actions</span></th></tr></thead>
              <tbody>
                {list.map((a) => {
                  const bound = boundTo(a);
                  return (
                    <tr data-action={a.name}>
                      <td><a href={`#/actions/${a.id}`}>{a.name}</a></td>
                      <td>{a.supported_triggers.map((t) => <span class="badge" title={`${t.id} ${t.version}`}>{triggerLabel(t.id)}</span>)}</td>
                      <td><StatusBadge status={a.status} /></td>
                      <td data-deployed>
                        {a.deployed_version ? <>v{a.deployed_version.number}</> : <span class="muted">not deployed</span>}
                        {a.deployed_version && !a.all_changes_deployed && <span class="muted small-text"> · draft changed</span>}
                      </td>
                      <td data-bound>{bound.length ? bound.map((t) => <a class="badge on" href={`#/flows/${t}`}>{triggerLabel(t)}</a>) : <span class="muted">no</span>}</td>
                      <td class="row-actions">
                        <a class="button small" href={`#/actions/${a.id}`} aria-label={`Edit ${a.name}`}>✎ Edit</a>
                        <button type="button" class="small danger" aria-label={`Delete ${a.name}`} onClick={() => remove(a)}>Delete</button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {creating && triggers.data && <CreateAction triggers={triggers.data} onClose={() => setCreating(false)} />}
    </section>
  );
}

function CreateAction({ triggers, onClose }: { triggers: ActionTriggerInfo[]; onClose: () => void }) {
  const [trigger, setTrigger] = useState(triggers[0]?.id ?? "");
  const [name, setName] = useState("");
  const action = useAction();
  const t = triggers.find((x) => x.id === trigger);
  const [runtime, setRuntime] = useState("");
  const runtimes = t?.runtimes ?? [];
  const chosenRuntime = runtime && runtimes.includes(runtime) ? runtime : (t?.default_runtime ?? runtimes[0] ?? "");
  const valid = name.trim() !== "" && name.length <= ACTION_NAME_MAX && !!t;
  const submit = (e: Event) => {
    e.preventDefault();
    if (!valid || !t) return;
    action.run(async () => {
      const body: Record<string, unknown> = {
        name: name.trim(),
        supported_triggers: [{ id: t.id, version: t.version }],
        code: starterCode(t.id),
      };
      if (chosenRuntime) body.runtime = chosenRuntime;
      const a = await api.post<Action>("/actions/actions", body);
      onClose();
      location.hash = `#/actions/${a.id}`;
    });
  };
  return (
    <Modal title="Create Action" onClose={onClose}>
      <form onSubmit={submit}>
        <label>Name
          <input id="new-action-name" value={name} autofocus required maxLength={ACTION_NAME_MAX}
            onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>Trigger
          <select id="new-action-trigger" value={trigger} onChange={(e) => setTrigger((e.target as HTMLSelectElement).value)}>
            {triggers.map((x) => <option value={x.id}>{triggerLabel(x.id)} ({x.id})</option>)}
          </select>
        </label>
        {runtimes.length > 0 && (
          <label>Runtime
            <select id="new-action-runtime" value={chosenRuntime} onChange={(e) => setRuntime((e.target as HTMLSelectElement).value)}>
              {runtimes.map((r) => <option value={r}>{r}</option>)}
            </select>
          </label>
        )}
        <p class="hint">The Action starts with the trigger's starter code. It runs only once deployed and bound to the trigger's flow.</p>
        <ErrorBanner error={action.error} />
        <div class="actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button id="new-action-create" class="primary" type="submit" disabled={!valid || !!action.busy}>Create</button>
        </div>
      </form>
    </Modal>
  );
}
