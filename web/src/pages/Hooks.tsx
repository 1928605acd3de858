import { useState } from "preact/hooks";
import { api, hookPoints, listHooks, HOOK_NAME, type Hook, type HookPoint } from "../api";
import { Empty, ErrorBanner, Modal, useAction, useAsync } from "../ui";

// HooksPage lists hooks grouped by extensibility point, shows which one is
// enabled, and lets the operator choose it (or none) per point.
export function HooksPage() {
  const hooks = useAsync(listHooks);
  const points = useAsync(hookPoints);
  const [creating, setCreating] = useState(false);
  const action = useAction();

  const enable = (trigger: string, id: string) => action.run(async () => {
    if (id) {
      await api.patch(`/hooks/${id}`, { enabled: true });
    } else {
      for (const h of (hooks.data ?? []).filter((h) => h.triggerId === trigger && h.enabled)) {
        await api.patch(`/hooks/${h.id}`, { enabled: false });
      }
    }
    hooks.reload();
  });
  const remove = (h: Hook) => {
    if (!window.confirm(`Delete the hook "${h.name}"? This cannot be undone.`)) return;
    action.run(async () => { await api.del(`/hooks/${h.id}`); hooks.reload(); });
  };

  return (
    <section>
      <div class="page-head">
        <h1>Hooks</h1>
        <button id="create-hook" class="primary" type="button" onClick={() => setCreating(true)}>+ Create New Hook</button>
      </div>
      <p class="muted">Hooks run Node.js-style code inside <code>/oauth/token</code>. Many hooks can exist per extensibility point; only one is enabled, and it runs for every application and API.</p>
      <ErrorBanner error={hooks.error || points.error || action.error} />
      {(points.data ?? []).map((t) => {
        const list = (hooks.data ?? []).filter((h) => h.triggerId === t.id);
        const enabled = list.find((h) => h.enabled);
        return (
          <div class="card group" data-trigger={t.id}>
            <div class="group-head">
              <h2>{t.label} <span class="muted small-text">{t.id}</span></h2>
              <label class="inline">Enabled hook
                <select aria-label={`Enabled hook for ${t.label}`} value={enabled?.id ?? ""} disabled={list.length === 0}
                  onChange={(e) => enable(t.id, (e.target as HTMLSelectElement).value)}>
                  <option value="">None</option>
                  {list.map((h) => <option value={h.id}>{h.name}</option>)}
                </select>
              </label>
            </div>
            {hooks.loading && !hooks.data ? <p class="muted">Loading…</p> : list.length === 0 ? (
              <Empty title={`No ${t.label} hook yet`}>
                <p>Create one with <b>+ Create New Hook</b> to change scopes or add claims to the tokens of {t.label}.</p>
              </Empty>
            ) : (
              <ul class="rows">
                {list.map((h) => (
                  <li class="row" data-hook={h.name}>
                    <span class={"dot" + (h.enabled ? " on" : "")} aria-hidden="true" />
                    <a class="grow" href={`#/hooks/${h.id}`}>{h.name}</a>
                    <span class={"badge" + (h.enabled ? " on" : "")}>{h.enabled ? "Enabled" : "Disabled"}</span>
                    <a class="button small" href={`#/hooks/${h.id}`} aria-label={`Edit ${h.name}`} title="Edit">✎ Edit</a>
                    <button type="button" class="small danger" aria-label={`Delete ${h.name}`} onClick={() => remove(h)}>Delete</button>
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
      {creating && points.data && <CreateHook points={points.data} onClose={() => setCreating(false)} />}
    </section>
  );
}

function CreateHook({ points, onClose }: { points: HookPoint[]; onClose: () => void }) {
  const [trigger, setTrigger] = useState(points[0]?.id ?? "");
  const [name, setName] = useState("");
  const action = useAction();
  const valid = HOOK_NAME.test(name);
  const submit = (e: Event) => {
    e.preventDefault();
    if (!valid) return;
    const script = points.find((p) => p.id === trigger)?.starter_code;
    action.run(async () => {
      const h = await api.post<Hook>("/hooks", { name, triggerId: trigger, script });
      onClose();
      location.hash = `#/hooks/${h.id}`;
    });
  };
  return (
    <Modal title="New Hook" onClose={onClose}>
      <form onSubmit={submit}>
        <label>Hook
          <select id="new-hook-trigger" value={trigger} onChange={(e) => setTrigger((e.target as HTMLSelectElement).value)}>
            {points.map((t) => <option value={t.id}>{t.label}</option>)}
          </select>
        </label>
        <label>Name
          <input id="new-hook-name" value={name} autofocus required aria-invalid={name !== "" && !valid}
            onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        {name !== "" && !valid && <p class="field-error">Use letters, digits, spaces and dashes; start and end with a letter or digit.</p>}
        <ErrorBanner error={action.error} />
        <div class="actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button id="new-hook-create" class="primary" type="submit" disabled={!valid || !!action.busy}>Create</button>
        </div>
      </form>
    </Modal>
  );
}
