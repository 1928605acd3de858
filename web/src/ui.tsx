// Small shared pieces: error banners, modals, confirmation, copy buttons.
import { useEffect, useRef, useState } from "preact/hooks";
import type { ComponentChildren } from "preact";
import { ApiError } from "./api";

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function ErrorBanner({ error }: { error: unknown }) {
  if (!error) return null;
  return <p class="error" role="alert">{errorText(error)}</p>;
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children}
    </div>
  );
}

// Modal is a dialog element opened modally: focus stays inside, Escape
// closes it, and the page behind is inert.
export function Modal({ title, onClose, children }: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    const cancel = (e: Event) => { e.preventDefault(); onClose(); };
    d?.addEventListener("cancel", cancel);
    return () => d?.removeEventListener("cancel", cancel);
  }, []);
  return (
    <dialog ref={ref} class="modal" aria-label={title}>
      <div class="modal-head">
        <h2>{title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={onClose}>✕</button>
      </div>
      {children}
    </dialog>
  );
}

// useAsync loads data and reloads on demand.
export function useAsync<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (d) => { if (live) { setData(d); setError(null); setLoading(false); } },
      (e) => { if (live) { setError(e); setLoading(false); } },
    );
    return () => { live = false; };
  }, [...deps, tick]);
  return { data, error, loading, reload: () => setTick((t) => t + 1), setData };
}

// useAction runs the page's changes (save, delete, enable...) with one
// busy/error state: run(fn) clears the last error, marks the action busy
// with an optional label, and resolves to whether fn succeeded, keeping its
// error for an ErrorBanner.
export function useAction() {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState("");
  const run = async (fn: () => Promise<unknown>, label = "busy"): Promise<boolean> => {
    setError(null);
    setBusy(label);
    try {
      await fn();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy("");
    }
  };
  return { run, error, setError, busy };
}

export function CopyButton({ value, label }: { value: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button type="button" class="small" aria-label={label} onClick={async () => {
      try {
        await navigator.clipboard.writeText(value);
        setDone(true);
        setTimeout(() => setDone(false), 1500);
      } catch {
        // Clipboard access needs a secure context; select the text instead.
        window.prompt("Copy:", value);
      }
    }}>{done ? "Copied" : "Copy"}</button>
  );
}

export function Secret({ value, label }: { value: string; label: string }) {
  const [shown, setShown] = useState(false);
  return (
    <span class="secret">
      <code data-secret={shown ? "shown" : "hidden"}>{shown ? value : "•".repeat(24)}</code>
      <button type="button" class="small" aria-pressed={shown} onClick={() => setShown(!shown)}>{shown ? "Hide" : "Reveal"}</button>
      <CopyButton value={value} label={"Copy " + label} />
    </span>
  );
}

export function fmtDate(s?: string) {
  if (!s) return "";
  const d = new Date(s);
  return isNaN(d.getTime()) ? s : d.toLocaleString();
}

// parseKV reads "key=value" lines (application metadata).
export function parseKV(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t) continue;
    const i = t.indexOf("=");
    if (i <= 0) throw new Error(`Metadata line "${t}" is not key=value`);
    out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}
export function formatKV(m?: Record<string, string>) {
  return Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`).join("\n");
}
