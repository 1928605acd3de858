import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./style.css";
import { request, setCSRF, whenSignedOut, type SessionInfo } from "./api";
import { Login } from "./pages/Login";
import { HooksPage } from "./pages/Hooks";
import { HookEditor } from "./pages/HookEditor";
import { ActionsPage } from "./pages/Actions";
import { ActionEditor } from "./pages/ActionEditor";
import { ActionFlow } from "./pages/ActionFlow";
import { ApplicationsPage, ApplicationDetail } from "./pages/Applications";
import { ApisPage, ApiDetail } from "./pages/Apis";
import { UsersPage } from "./pages/Users";
import { LogsPage } from "./pages/Logs";
import { TryItPage } from "./pages/TryIt";
import { KeysPage } from "./pages/Keys";
import { SettingsPage } from "./pages/Settings";
import { guardLeave, isDirty } from "./dirty";

const NAV = [
  ["hooks", "Hooks"],
  ["actions", "Actions"],
  ["applications", "Applications"],
  ["apis", "APIs"],
  ["users", "Users"],
  ["logs", "Logs"],
  ["try", "Try it"],
  ["keys", "Keys"],
  ["settings", "Settings"],
] as const;

function route(): string[] {
  const h = location.hash.replace(/^#\/?/, "");
  const parts = h.split("/").filter(Boolean).map(decodeURIComponent);
  return parts.length ? parts : ["hooks"];
}

function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [path, setPath] = useState(route());
  const [navOpen, setNavOpen] = useState(false);

  useEffect(() => {
    whenSignedOut(() => setSession(null));
    request<SessionInfo>("GET", "/dashboard/api/session").then(
      (s) => { setCSRF(s.csrf_token); setSession(s); },
      () => setSession(null),
    );
    let last = location.hash;
    const onHash = () => {
      if (!guardLeave()) {
        // Put the address back; the editor stays open with its changes.
        history.replaceState(null, "", last);
        return;
      }
      last = location.hash;
      setPath(route());
      setNavOpen(false);
    };
    window.addEventListener("hashchange", onHash);
    const onUnload = (e: BeforeUnloadEvent) => {
      if (isDirty()) { e.preventDefault(); e.returnValue = ""; }
    };
    window.addEventListener("beforeunload", onUnload);
    return () => { window.removeEventListener("hashchange", onHash); window.removeEventListener("beforeunload", onUnload); };
  }, []);

  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) return <Login onSignedIn={(s) => { setCSRF(s.csrf_token); setSession(s); }} />;

  const signOut = async () => {
    if (!guardLeave()) return;
    await request("POST", "/dashboard/api/logout").catch(() => {});
    setSession(null);
  };
  const [page, id] = path;
  // A flow belongs to the Actions section.
  const section = page === "flows" ? "actions" : page;
  let body;
  switch (page) {
    case "hooks": body = id ? <HookEditor id={id} key={id} /> : <HooksPage />; break;
    case "actions": body = id ? <ActionEditor id={id} key={id} /> : <ActionsPage />; break;
    case "flows": body = id ? <ActionFlow trigger={id} key={id} /> : <ActionsPage />; break;
    case "applications": body = id ? <ApplicationDetail id={id} key={id} /> : <ApplicationsPage />; break;
    case "apis": body = id ? <ApiDetail id={id} key={id} /> : <ApisPage />; break;
    case "users": body = <UsersPage />; break;
    case "logs": body = <LogsPage />; break;
    case "try": body = <TryItPage />; break;
    case "keys": body = <KeysPage />; break;
    case "settings": body = <SettingsPage />; break;
    default: body = <p>Page not found. <a href="#/hooks">Go to Hooks</a>.</p>;
  }
  return (
    <div class="shell">
      <header class="top">
        <button type="button" class="icon nav-toggle" aria-label="Menu" aria-expanded={navOpen} onClick={() => setNavOpen(!navOpen)}>☰</button>
        <a class="brand" href="#/hooks">tokenhook</a>
        <span class="tenant">tenant <b>{session.tenant}</b></span>
        <span class="spacer" />
        <span class="who">{session.email}</span>
        <button type="button" class="small" onClick={signOut}>Sign out</button>
      </header>
      <nav class={"side" + (navOpen ? " open" : "")} aria-label="Main">
        {NAV.map(([p, label]) => (
          <a href={"#/" + p} class={section === p ? "active" : ""} aria-current={section === p ? "page" : undefined}>{label}</a>
        ))}
      </nav>
      <main id="main">{body}</main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
