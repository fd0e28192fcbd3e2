// API keys: create one (its secret is shown this once) and revoke old ones.

import { useState } from "preact/hooks";
import { createApiKey, listApiKeys, revokeApiKey } from "../../api/endpoints";
import type { CreatedApiKey, Scope } from "../../api/types";
import { session } from "../../auth/session";
import { useStore } from "../../lib/store";
import { ErrorNote, Loading, When, ScrollBox } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";

export function ApiKeys() {
  const me = useStore(session);
  const [withRevoked, setWithRevoked] = useState(false);
  const keys = useLoad(() => listApiKeys(withRevoked), [withRevoked]);
  const create = useAction(createApiKey);
  const revoke = useAction(revokeApiKey);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [copied, setCopied] = useState(false);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const answer = await create.run({ name: String(data.get("name") ?? "").trim(), scope: String(data.get("scope")) as Scope });
    if (!answer) return;
    setCreated(answer);
    setCopied(false);
    form.reset();
    keys.reload();
  };
  const onRevoke = async (id: number, name: string) => {
    if (!window.confirm(`Revoke key “${name}”? Anything using it stops working.`)) return;
    if (await revoke.run(id)) keys.reload();
  };
  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <div class="stack">
      <form class="panel stack" onSubmit={submit} aria-labelledby="new-key-title" data-testid="key-create-form">
        <h2 id="new-key-title">New key</h2>
        <div class="row">
          <label class="field">
            <span>Name</span>
            <input name="name" required maxLength={255} placeholder="kitchen tablet" data-testid="key-name" />
          </label>
          <label class="field">
            <span>Scope</span>
            <select name="scope" defaultValue="read" data-testid="key-scope">
              <option value="read">Read: look only</option>
              <option value="operator">Operator: review, acknowledge, feedback</option>
              <option value="admin">Admin: everything</option>
            </select>
          </label>
          <button type="submit" class="button button--primary" disabled={create.busy} data-testid="key-create">
            Create key
          </button>
        </div>
        <ErrorNote error={create.error} />
      </form>
      {created && (
        <section class="panel stack note" role="alert" data-testid="key-created">
          <h2>Key “{created.key?.name}” created</h2>
          <p>Copy it now: it is shown only this once and cannot be read again.</p>
          <label class="field">
            <span>The new key</span>
            <input readOnly value={created.secret} onFocus={(e) => e.currentTarget.select()} data-testid="key-secret" />
          </label>
          <div class="row">
            <button type="button" class="button" onClick={copy}>
              {copied ? "Copied" : "Copy"}
            </button>
            <button type="button" class="button" onClick={() => setCreated(null)}>
              I have kept it
            </button>
          </div>
        </section>
      )}
      <section class="panel stack" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        <label class="check">
          <input type="checkbox" checked={withRevoked} onChange={(e) => setWithRevoked(e.currentTarget.checked)} />
          Show revoked keys
        </label>
        {keys.loading && !keys.data && <Loading />}
        <ErrorNote error={keys.error || revoke.error} retry={keys.error ? keys.reload : undefined} />
        {keys.data && (
          <ScrollBox label="API keys">
            <table class="table" data-testid="key-list">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Key id</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Created</th>
                  <th scope="col">Revoke</th>
                </tr>
              </thead>
              <tbody>
                {keys.data.keys.map((key) => (
                  <tr key={key.id} data-testid="key-row">
                    <th scope="row">{key.name}</th>
                    <td>{key.scope}</td>
                    <td>
                      <code>{key.key_id}</code>
                    </td>
                    <td>
                      <When iso={key.last_used_at} />
                    </td>
                    <td>
                      <When iso={key.created_at} /> {key.created_by && `by ${key.created_by}`}
                    </td>
                    <td>
                      {key.revoked_at ? (
                        <span class="muted">
                          Revoked <When iso={key.revoked_at} />
                        </span>
                      ) : key.key_id === me?.who.key_id ? (
                        <span class="muted">This console's key</span>
                      ) : (
                        <button type="button" class="button button--small button--danger" onClick={() => onRevoke(key.id, key.name)} aria-label={`Revoke key ${key.name}`} data-testid="key-revoke">
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollBox>
        )}
      </section>
    </div>
  );
}
