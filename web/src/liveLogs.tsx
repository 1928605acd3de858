// LiveLogs: the console lines of a hook or an Action, streamed live from
// the server's log stream (Server-Sent Events; the session cookie
// authenticates the GET), after any recent ones the page loads first.
import { useEffect, useState } from "preact/hooks";
import type { ComponentChildren } from "preact";
import { api, RUNNER_REQUEST_ID, type HookLogLine } from "./api";

// KEPT is how many lines the pane holds; older ones scroll away.
const KEPT = 500;

export function LiveLogs({ stream, recent, idPrefix, empty }: {
  stream: string; // the hook's name or the Action's id, as the stream filters by
  recent?: string; // an API path listing recent lines, shown first
  idPrefix: string; // element ids: <prefix>-state, <prefix>-lines
  empty: ComponentChildren;
}) {
  const [lines, setLines] = useState<HookLogLine[]>([]);
  const [state, setState] = useState("connecting");
  useEffect(() => {
    let live = true;
    if (recent) api.get<HookLogLine[]>(recent).then((l) => { if (live) setLines((cur) => [...l, ...cur]); }, () => {});
    const es = new EventSource(`/api/v2/hooks/logs/stream?hook=${encodeURIComponent(stream)}`);
    es.onopen = () => setState("live");
    es.onerror = () => setState("reconnecting");
    es.addEventListener("log", (ev) => {
      const l = JSON.parse((ev as MessageEvent).data) as HookLogLine;
      setLines((cur) => [...cur.slice(-(KEPT - 1)), l]);
    });
    return () => { live = false; es.close(); };
  }, [stream, recent]);
  return (
    <>
      <div class="actions"><span class={"badge" + (state === "live" ? " on" : "")} id={`${idPrefix}-state`}>{state}</span>
        <button type="button" class="small" onClick={() => setLines([])}>Clear</button></div>
      {lines.length === 0 ? <p class="muted">{empty}</p> : (
        <pre id={`${idPrefix}-lines`} class="log-lines" aria-live="polite">{lines.map((l) =>
          `${new Date(l.time).toLocaleTimeString()} ${l.level.padEnd(5)} ${l.request_id === RUNNER_REQUEST_ID ? "[runner] " : ""}${l.message}`).join("\n")}</pre>
      )}
    </>
  );
}
