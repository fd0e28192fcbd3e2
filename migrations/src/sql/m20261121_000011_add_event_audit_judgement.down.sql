DELETE FROM prompt_versions WHERE model = 'nemotron' AND created_by = 'migration';
DELETE FROM prompt_configs WHERE model = 'nemotron';
ALTER TABLE event_audits
    DROP CONSTRAINT IF EXISTS ck_event_audits_fallback_reason,
    DROP CONSTRAINT IF EXISTS ck_event_audits_llm_figures,
    DROP COLUMN IF EXISTS llm_completion_tokens,
    DROP COLUMN IF EXISTS llm_prompt_tokens,
    DROP COLUMN IF EXISTS llm_latency_ms,
    DROP COLUMN IF EXISTS prompt_version,
    DROP COLUMN IF EXISTS llm_model,
    DROP COLUMN IF EXISTS fallback_reason,
    DROP COLUMN IF EXISTS is_fallback;
