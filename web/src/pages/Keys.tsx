import { api, type SigningKey } from "../api";
import { ErrorBanner, fmtDate, useAction, useAsync } from "../ui";

function state(k: SigningKey) {
  return k.revoked ? "revoked" : k.current ? "current" : k.next ? "next" : k.previous ? "previous" : "";
}

export function KeysPage() {
  const keys = useAsync(() => api.get<SigningKey[]>("/keys/signing"));
  const action = useAction();
  const rotate = () => {
    if (!window.confirm("Rotate the signing key? The next key becomes current; tokens signed with the old one stay valid while it is published as previous.")) return;
    action.run(async () => { await api.post("/keys/signing/rotate"); keys.reload(); });
  };
  return (
    <section>
      <div class="page-head"><h1>Signing keys</h1><button id="keys-rotate" class="primary" type="button" onClick={rotate}>Rotate key</button></div>
      <p class="muted">Access tokens are signed with RS256 by default; an API may choose PS256 (these RSA keys too), ES256 or EdDSA (a P-256 or Ed25519 key of their own, listed here once an API uses them and rotated with the rest) or HS256 (its own signing secret, never published). Resource servers fetch the public keys from <code>/.well-known/jwks.json</code>.</p>
      <ErrorBanner error={keys.error || action.error} />
      <div class="table-wrap">
        <table>
          <thead><tr><th>Key id</th><th>State</th><th>Current since</th><th>Thumbprint</th></tr></thead>
          <tbody>
            {(keys.data ?? []).map((k) => (
              <tr><td><code>{k.kid}</code></td><td><span class={"badge" + (k.current ? " on" : "")}>{state(k)}</span></td>
                <td>{fmtDate(k.current_since)}</td><td><code class="small-text">{k.thumbprint}</code></td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
