-- The pixel size of the image or video frame a detection was found in. Zones are drawn
-- in coordinates normalised to the frame, so placing a box in a zone needs this; the
-- seed schema kept it only for videos (video_width, video_height).
ALTER TABLE detections
    ADD COLUMN frame_width  integer,
    ADD COLUMN frame_height integer,
    ADD CONSTRAINT ck_detections_frame_size CHECK (
        (frame_width IS NULL OR frame_width > 0) AND (frame_height IS NULL OR frame_height > 0));
