import { useState } from "preact/hooks";
import { api, type Client, type LogEvent } from "../api";
import { Empty, ErrorBanner, fmtDate, useAsync } from "../ui";

const TYPES: [string, string][] = [
  ["", "All types"],
  ["seccft", "seccft — client credentials: success"],
  ["feccft", "feccft — client credentials: failure"],
  ["sepft", "sepft — password exchange: success"],
  ["fepft", "fepft — password exchange: failure"],
];

export function LogsPage() {
  const [type, setType] = useState("");
  const [clientId, setClientId] = useState("");
  const clients = useAsync(() => api.get<Client[]>("/clients"));
  const logs = useAsync(() => {
    const q = [type && `type:${type}`, clientId && `client_id:${clientId}`].filter(Boolean).join(" AND ");
    return api.get<LogEvent[]>(`/logs?per_page=100&sort=date:-1${q ? "&q=" + encodeURIComponent(q) : ""}`);
  }, [type, clientId]);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section>
      <div class="page-head"><h1>Logs</h1><button type="button" onClick={logs.reload}>Refresh</button></div>
      <div class="filters">
        <label class="inline">Type
          <select id="logs-type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            {TYPES.map(([v, l]) => <option value={v}>{l}</option>)}
          </select>
        </label>
        <label class="inline">Application
          <select id="logs-client" value={clientId} onChange={(e) => setClientId((e.target as HTMLSelectElement).value)}>
            <option value="">All applications</option>
            {(clients.data ?? []).map((c) => <option value={c.client_id}>{c.name}</option>)}
          </select>
        </label>
      </div>
      <ErrorBanner error={logs.error} />
      {logs.data && logs.data.length === 0 ? (
        <Empty title="No log events"><p>Token requests appear here. Get one in <a href="#/try">Try it</a>.</p></Empty>
      ) : (
        <div class="table-wrap">
          <table id="logs-table">
            <thead><tr><th>Date</th><th>Type</th><th>Description</th><th>Application</th><th>Hook</th></tr></thead>
            <tbody>
              {(logs.data ?? []).map((l) => {
                const id = l.log_id ?? l._id ?? l.date;
                return [
                  <tr class={"clickable" + (l.type.startsWith("f") ? " failed" : "")} tabIndex={0} onClick={() => setOpen(open === id ? null : id)}
                    onKeyDown={(e) => { if (e.key === "Enter") setOpen(open === id ? null : id); }}>
                    <td>{fmtDate(l.date)}</td><td><code>{l.type}</code></td><td>{l.description}</td><td>{l.client_name ?? l.client_id}</td><td>{String(l.hook ?? "")}</td>
                  </tr>,
                  open === id ? <tr><td colSpan={5}><pre>{JSON.stringify(l, null, 2)}</pre></td></tr> : null,
                ];
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
