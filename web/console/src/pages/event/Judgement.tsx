import type { EventDetail } from "../../api/types";
import { formatMs, formatTime } from "../../lib/format";
import { RiskBadge } from "../../ui/bits";

/** How the event was judged: the verdict and what produced it. */
export function Judgement({ detail }: { detail: EventDetail }) {
  const event = detail.event;
  const audit = detail.audit;
  if (!event) return null;
  return (
    <section class="panel" aria-labelledby="judgement-title" data-testid="judgement">
      <h2 id="judgement-title">Judgement</h2>
      <dl class="facts">
        <dt>Risk</dt>
        <dd>
          <RiskBadge level={event.risk_level} score={event.risk_score} />
        </dd>
        <dt>Summary</dt>
        <dd>{event.summary || "–"}</dd>
        <dt>Reasoning</dt>
        <dd class="prewrap">{event.reasoning || "–"}</dd>
        {audit ? (
          <>
            <dt>Evidence</dt>
            <dd data-testid="judgement-evidence">
              {audit.evidence_score == null
                ? "–"
                : `score ${audit.evidence_score}` +
                  (audit.llm_adjustment == null
                    ? ""
                    : `, moved ${audit.llm_adjustment >= 0 ? "+" : ""}${audit.llm_adjustment} by the model` +
                      (audit.llm_proposed_score == null ? "" : ` (it proposed ${audit.llm_proposed_score})`)) +
                  (audit.stage === "provisional" ? "; awaiting the judgement" : "")}
            </dd>
            <dt>Model</dt>
            <dd>
              {audit.llm_model ?? "–"}
              {audit.structured_output ? <span class="muted"> · {audit.structured_output}</span> : null}
            </dd>
            <dt>Prompt version</dt>
            <dd>{audit.prompt_version ?? "–"}</dd>
            <dt>Fallback</dt>
            <dd data-testid="judgement-fallback">
              {audit.is_fallback ? `Yes: ${audit.fallback_reason ?? "no reason recorded"}` : "No"}
            </dd>
            <dt>Latency</dt>
            <dd>{formatMs(audit.llm_latency_ms)}</dd>
            <dt>Tokens</dt>
            <dd>
              {audit.llm_prompt_tokens ?? "–"} in, {audit.llm_completion_tokens ?? "–"} out
            </dd>
            <dt>Judged</dt>
            <dd>{formatTime(audit.audited_at)}</dd>
          </>
        ) : (
          <>
            <dt>Audit</dt>
            <dd class="muted">Not kept for this event (judged before audits were kept).</dd>
          </>
        )}
      </dl>
    </section>
  );
}
