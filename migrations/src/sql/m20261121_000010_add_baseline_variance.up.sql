-- Baselines become proper estimates of a rate and its spread (see
-- hsi_core::baseline): the variance of the hourly count, and the start of the last
-- hour folded in, which makes folding idempotent and tells how many hours with no
-- detections have passed since.
ALTER TABLE activity_baselines
    ADD COLUMN count_variance double precision NOT NULL DEFAULT 0.0,
    ADD COLUMN last_bucket_at timestamptz,
    ADD CONSTRAINT ck_activity_baselines_variance CHECK (count_variance >= 0.0);
ALTER TABLE class_baselines
    ADD COLUMN frequency_variance double precision NOT NULL DEFAULT 0.0,
    ADD COLUMN last_bucket_at timestamptz,
    ADD CONSTRAINT ck_class_baselines_variance CHECK (frequency_variance >= 0.0);
