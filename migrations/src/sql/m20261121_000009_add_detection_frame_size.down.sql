ALTER TABLE detections
    DROP CONSTRAINT IF EXISTS ck_detections_frame_size,
    DROP COLUMN IF EXISTS frame_height,
    DROP COLUMN IF EXISTS frame_width;
