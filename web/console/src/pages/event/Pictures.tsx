// Every picture of an event with its boxes, and the detections as a table.

import { useState } from "preact/hooks";
import { detectionImagePath, detectionThumbnailPath } from "../../api/endpoints";
import { useImage } from "../../api/images";
import type { Detection } from "../../api/types";
import { formatPercent, formatTime } from "../../lib/format";
import { AnnotatedImage } from "../../ui/AnnotatedImage";
import { ScrollBox } from "../../ui/bits";
import { boxesOf, frameSize, framesOf, type Frame } from "../../ui/frames";

function describe(detections: Detection[]): string {
  return detections.map((d) => `${d.object_type ?? "object"} ${formatPercent(d.confidence)}`).join(", ");
}

function VideoPlayer({ detection }: { detection: Detection }) {
  const { url, error } = useImage(detectionImagePath(detection.id));
  if (error) return <p class="note note--error">The video could not be loaded.</p>;
  if (!url) return <p class="muted">Loading the video…</p>;
  return <video src={url} controls preload="metadata" class="video" aria-label="Video of the event" />;
}

function FramePicture({ frame, camera }: { frame: Frame; camera: string }) {
  const [playing, setPlaying] = useState(false);
  const source = frame.source;
  if (frame.isVideo) {
    return (
      <figure class="frame">
        {playing ? (
          <VideoPlayer detection={source} />
        ) : (
          <AnnotatedImage
            path={detectionThumbnailPath(source.id)}
            boxes={[]}
            size={null}
            alt={`Crop of the ${source.object_type ?? "object"} in a video from ${camera}`}
            fit="natural"
          />
        )}
        <figcaption>
          Video{source.frame_offset != null && `, frame at ${source.frame_offset.toFixed(1)} s`}: {describe(frame.detections)}.{" "}
          {!playing && (
            <button type="button" class="button button--small" onClick={() => setPlaying(true)}>
              Play the video
            </button>
          )}
        </figcaption>
      </figure>
    );
  }
  return (
    <figure class="frame">
      <AnnotatedImage
        path={detectionImagePath(source.id)}
        boxes={boxesOf(frame.detections)}
        size={frameSize(frame.detections)}
        alt={`Picture from ${camera} at ${formatTime(source.detected_at)}`}
        fit="natural"
        testId="event-image"
      />
      <figcaption>
        {formatTime(source.detected_at)}: {describe(frame.detections)}
      </figcaption>
    </figure>
  );
}

export function Pictures({ detections, camera }: { detections: Detection[]; camera: string }) {
  const frames = framesOf(detections);
  return (
    <section class="panel" aria-labelledby="pictures-title">
      <h2 id="pictures-title">Pictures</h2>
      {frames.length === 0 && <p class="muted">No detections are linked to this event.</p>}
      <div class="frames">
        {frames.map((frame) => (
          <FramePicture key={frame.source.id} frame={frame} camera={camera} />
        ))}
      </div>
      {detections.length > 0 && (
        <ScrollBox label="Detections">
          <table class="table" data-testid="detections-table">
            <caption class="visually-hidden">Detections</caption>
            <thead>
              <tr>
                <th scope="col">Class</th>
                <th scope="col">Confidence</th>
                <th scope="col">Seen</th>
                <th scope="col">Box (x, y, w × h)</th>
              </tr>
            </thead>
            <tbody>
              {detections.map((d) => (
                <tr key={d.id}>
                  <td>{d.object_type ?? "–"}</td>
                  <td>{formatPercent(d.confidence)}</td>
                  <td>{formatTime(d.detected_at)}</td>
                  <td>
                    {d.bbox_x != null ? `${d.bbox_x}, ${d.bbox_y}, ${d.bbox_width} × ${d.bbox_height}` : "–"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      )}
    </section>
  );
}
