import { useState } from "preact/hooks";
import { reviewEvent } from "../../api/endpoints";
import type { Event } from "../../api/types";
import { ErrorNote } from "../../ui/bits";
import { useAction } from "../../ui/useLoad";

/** Marks the event reviewed (or not) with notes. */
export function ReviewForm({ event, onSaved }: { event: Event; onSaved: (event: Event) => void }) {
  const [saved, setSaved] = useState(false);
  const save = useAction(reviewEvent);
  const submit = async (submitEvent: SubmitEvent) => {
    submitEvent.preventDefault();
    const form = new FormData(submitEvent.currentTarget as HTMLFormElement);
    const answer = await save.run(event.id, {
      reviewed: form.get("reviewed") === "on",
      notes: String(form.get("notes") ?? ""),
    });
    if (answer) {
      setSaved(true);
      onSaved(answer);
    }
  };
  return (
    <form class="panel stack" onSubmit={submit} aria-labelledby="review-title" data-testid="review-form" onInput={() => setSaved(false)}>
      <h2 id="review-title">Review</h2>
      <label class="check">
        <input type="checkbox" name="reviewed" defaultChecked={event.reviewed} data-testid="review-reviewed" />
        Reviewed
      </label>
      <label class="field">
        <span>Notes</span>
        <textarea name="notes" rows={3} maxLength={10000} defaultValue={event.notes ?? ""} data-testid="review-notes" />
      </label>
      <div class="row">
        <button type="submit" class="button button--primary" disabled={save.busy} data-testid="review-save">
          Save review
        </button>
        {saved && (
          <span role="status" class="ok" data-testid="review-saved">
            Saved
          </span>
        )}
      </div>
      <ErrorNote error={save.error} />
    </form>
  );
}
