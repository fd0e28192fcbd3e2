ALTER TABLE class_baselines
    DROP CONSTRAINT IF EXISTS ck_class_baselines_variance,
    DROP COLUMN IF EXISTS last_bucket_at,
    DROP COLUMN IF EXISTS frequency_variance;
ALTER TABLE activity_baselines
    DROP CONSTRAINT IF EXISTS ck_activity_baselines_variance,
    DROP COLUMN IF EXISTS last_bucket_at,
    DROP COLUMN IF EXISTS count_variance;
