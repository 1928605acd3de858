import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Client, type LogEvent } from "../api";
import { Empty, ErrorBanner, fmtDate, useAction, useAsync } from "../ui";

const TYPES: [string, string][] = [
  ["", "All types"],
  ["seccft", "seccft — client credentials: success"],
  ["feccft", "feccft — client credentials: failure"],
  ["sepft", "sepft — password exchange: success"],
  ["fepft", "fepft — password exchange: failure"],
];

// PAGE is how many events one request reads.
const PAGE = 50;
// MAX_PAGED is how deep page and per_page reach into a query's events.
const MAX_PAGED = 1000;

const idOf = (l: LogEvent) => l.log_id ?? l._id ?? l.date;

// LogsPage lists the tenant log newest first. Newer events are read with
// Auth0's checkpoint paging (from = the newest log_id shown, take), which
// pages forward through any number of events; older ones by page and
// per_page, which Auth0 (and this server) limit to the first 1000 events
// of a query: narrow the filters to reach others.
export function LogsPage() {
  const [type, setType] = useState("");
  const [clientId, setClientId] = useState("");
  const clients = useAsync(() => api.get<Client[]>("/clients"));
  const [events, setEvents] = useState<LogEvent[]>([]);
  const [olderPages, setOlderPages] = useState(0);
  const [olderDone, setOlderDone] = useState(false);
  const [atLimit, setAtLimit] = useState(false);
  const [newer, setNewer] = useState<number | null>(null);
  const action = useAction();
  const q = [type && `type:${type}`, clientId && `client_id:${clientId}`].filter(Boolean).join(" AND ");
  const qs = q ? "&q=" + encodeURIComponent(q) : "";
  const [open, setOpen] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);

  // merge keeps one row per event, newest first.
  const merge = (cur: LogEvent[], add: LogEvent[]) => {
    const seen = new Set(cur.map(idOf));
    return [...cur, ...add.filter((l) => !seen.has(idOf(l)))].sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : idOf(a) < idOf(b) ? 1 : -1));
  };
  // gen tells a stale answer (the filters changed meanwhile) from a
  // current one.
  const gen = useRef(0);
  const latest = () => action.run(async () => {
    const g = ++gen.current;
    const list = await api.get<LogEvent[]>(`/logs?take=${PAGE}${qs}`);
    if (g !== gen.current) return;
    setEvents(list);
    setOlderPages(1);
    setOlderDone(list.length < PAGE);
    setAtLimit(false);
    setNewer(null);
    setLoaded(true);
  }, "Loading…");
  useEffect(() => { latest(); }, [type, clientId]);
  // refilter drops the list in the same render as the filter changes: the
  // effect that reads the new one runs only after paint, and until then the
  // old list (or an answer still on its way for it) must not show as the
  // new filter's, with an Older events button whose answer would be
  // dropped as stale.
  const refilter = (set: (v: string) => void) => (e: Event) => {
    gen.current++;
    setLoaded(false);
    setEvents([]);
    set((e.target as HTMLSelectElement).value);
  };

  const loadNewer = () => action.run(async () => {
    if (!events.length) return latest();
    const g = gen.current;
    const list = await api.get<LogEvent[]>(`/logs?from=${encodeURIComponent(idOf(events[0]))}&take=${PAGE}${qs}`);
    if (g !== gen.current) return;
    setEvents((cur) => merge(cur, list));
    setNewer(list.length);
  }, "Loading…");
  const loadOlder = () => action.run(async () => {
    if ((olderPages + 1) * PAGE > MAX_PAGED) { setOlderDone(true); setAtLimit(true); return; }
    const g = gen.current;
    const list = await api.get<LogEvent[]>(`/logs?per_page=${PAGE}&page=${olderPages}&sort=date:-1${qs}`);
    if (g !== gen.current) return;
    setEvents((cur) => merge(cur, list));
    setOlderPages(olderPages + 1);
    if (list.length < PAGE) setOlderDone(true);
  }, "Loading…");

  return (
    <section>
      <div class="page-head"><h1>Logs</h1>
        <button type="button" id="logs-newer" disabled={!!action.busy} onClick={loadNewer} title="Events logged since the newest one shown (checkpoint paging)">Newer events</button>
      </div>
      <div class="filters">
        <label class="inline">Type
          <select id="logs-type" value={type} onChange={refilter(setType)}>
            {TYPES.map(([v, l]) => <option value={v}>{l}</option>)}
          </select>
        </label>
        <label class="inline">Application
          <select id="logs-client" value={clientId} onChange={refilter(setClientId)}>
            <option value="">All applications</option>
            {(clients.data ?? []).map((c) => <option value={c.client_id}>{c.name}</option>)}
          </select>
        </label>
        <span class="muted" id="logs-count" role="status">{action.busy ? "Loading…" : `${events.length} events shown`}{!action.busy && newer !== null ? ` · ${newer === 0 ? "no newer events" : `${newer} newer`}` : ""}</span>
      </div>
      <ErrorBanner error={action.error} />
      {loaded && events.length === 0 ? (
        <Empty title="No log events"><p>Token requests appear here. Get one in <a href="#/try">Try it</a>.</p></Empty>
      ) : (
        <div class="table-wrap">
          <table id="logs-table">
            <thead><tr><th>Date</th><th>Type</th><th>Description</th><th>Application</th><th>Hook</th></tr></thead>
            <tbody>
              {events.map((l) => {
                const id = idOf(l);
                return [
                  <tr class={"clickable" + (l.type.startsWith("f") ? " failed" : "")} tabIndex={0} data-log-id={id} onClick={() => setOpen(open === id ? null : id)}
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
      <div class="pager">
        {olderDone ? (
          <span class="muted" id="logs-end">{atLimit ? "Only the first 1000 events of a query can be paged back to: narrow the filters to see older ones." : "No older events."}</span>
        ) : (
          <button type="button" id="logs-older" disabled={!!action.busy || !loaded} onClick={loadOlder}>Older events</button>
        )}
      </div>
    </section>
  );
}
