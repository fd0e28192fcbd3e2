import { useState } from "preact/hooks";
import { ApiError } from "../../api/client";
import { getEventFeedback, submitEventFeedback } from "../../api/endpoints";
import { RISK_LEVELS, type FeedbackType } from "../../api/types";
import { formatTime, humanize } from "../../lib/format";
import { ErrorNote, Loading } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";

const TYPES: { value: FeedbackType; label: string }[] = [
  { value: "correct", label: "Correct" },
  { value: "false_positive", label: "False positive" },
  { value: "missed_threat", label: "Missed threat" },
  { value: "severity_wrong", label: "Severity wrong" },
];

/** What the user says about the judgement: one verdict per event, replaced when given again. */
export function FeedbackForm({ eventId }: { eventId: number }) {
  const current = useLoad(
    (signal) =>
      getEventFeedback(eventId, signal).catch((err) => {
        if (err instanceof ApiError && err.status === 404) return null; // none given yet
        throw err;
      }),
    [eventId],
  );
  const [type, setType] = useState<FeedbackType | null>(null);
  const save = useAction(submitEventFeedback);
  const chosen = type ?? current.data?.feedback_type ?? null;

  if (current.loading && !current.data) return <Loading label="Loading feedback…" />;

  const submit = async (submitEvent: SubmitEvent) => {
    submitEvent.preventDefault();
    const form = new FormData(submitEvent.currentTarget as HTMLFormElement);
    const feedbackType = form.get("feedback_type") as FeedbackType | null;
    if (!feedbackType) return;
    const notes = String(form.get("notes") ?? "").trim();
    const answer = await save.run(eventId, {
      feedback_type: feedbackType,
      expected_severity: feedbackType === "severity_wrong" ? String(form.get("expected_severity")) : undefined,
      notes: notes || undefined,
    });
    if (answer) current.setData(answer);
  };

  return (
    <form class="panel stack" onSubmit={submit} aria-labelledby="feedback-title" data-testid="feedback-form">
      <h2 id="feedback-title">Feedback</h2>
      <ErrorNote error={current.error} retry={current.reload} />
      {current.data && (
        <p class="muted" role="status" data-testid="feedback-current">
          Given {formatTime(current.data.created_at)}: {humanize(current.data.feedback_type)}
          {current.data.expected_severity && ` (should be ${current.data.expected_severity})`}
        </p>
      )}
      <fieldset>
        <legend>Was the judgement right?</legend>
        <div class="checks">
          {TYPES.map((option) => (
            <label key={option.value} class="check">
              <input
                type="radio"
                name="feedback_type"
                value={option.value}
                checked={chosen === option.value}
                onChange={() => setType(option.value)}
                required
                data-testid={`feedback-${option.value}`}
              />
              {option.label}
            </label>
          ))}
        </div>
      </fieldset>
      {chosen === "severity_wrong" && (
        <label class="field">
          <span>Expected level</span>
          <select
            name="expected_severity"
            defaultValue={current.data?.expected_severity ?? "high"}
            data-testid="feedback-expected"
          >
            {RISK_LEVELS.map((level) => (
              <option key={level} value={level}>
                {humanize(level)}
              </option>
            ))}
          </select>
        </label>
      )}
      <label class="field">
        <span>Notes (optional)</span>
        <textarea name="notes" rows={2} maxLength={10000} defaultValue={current.data?.notes ?? ""} data-testid="feedback-notes" />
      </label>
      <div class="row">
        <button type="submit" class="button button--primary" disabled={save.busy || !chosen} data-testid="feedback-save">
          Send feedback
        </button>
      </div>
      <ErrorNote error={save.error} />
    </form>
  );
}
