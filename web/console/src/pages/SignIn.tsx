import { useState } from "preact/hooks";
import { describeError } from "../api/client";
import { looksLikeKey, signIn, signOutReason } from "../auth/session";
import { useStore } from "../lib/store";

/** Sign-in with an API key; nothing else is shown until the gateway accepts one. */
export function SignIn() {
  const reason = useStore(signOutReason);
  const [error, setError] = useState<string>("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const key = String(data.get("key") ?? "").trim();
    if (!looksLikeKey(key)) {
      setError("That does not look like an HSI key: they read hsi_, 16 hex digits, _, then the secret.");
      return;
    }
    setBusy(true);
    setError("");
    try {
      await signIn(key, data.get("remember") === "on");
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <form class="sign-in__form card-panel" onSubmit={submit} data-testid="sign-in-form">
        <h1>HSI console</h1>
        <p class="muted">Sign in with an API key. An administrator makes keys with <code>hsi-gateway api-key create</code>.</p>
        {reason && !error && (
          <p class="note" role="status" data-testid="sign-out-reason">
            Signed out: {reason}
          </p>
        )}
        <label class="field">
          <span>API key</span>
          <input
            name="key"
            type="password"
            autoComplete="current-password"
            spellcheck={false}
            required
            autoFocus
            data-testid="sign-in-key"
          />
        </label>
        <label class="check">
          <input type="checkbox" name="remember" data-testid="sign-in-remember" />
          Remember on this device
        </label>
        {error && (
          <p class="note note--error" role="alert" data-testid="sign-in-error">
            {error}
          </p>
        )}
        <button type="submit" class="button button--primary" disabled={busy} data-testid="sign-in-submit">
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
