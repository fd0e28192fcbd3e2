import { detectionImagePath, detectionThumbnailPath } from "../../api/endpoints";
import type { Event } from "../../api/types";
import { formatTime } from "../../lib/format";
import { AnnotatedImage } from "../../ui/AnnotatedImage";
import { RiskBadge, When } from "../../ui/bits";
import { boxesOf, coverFrame, frameSize } from "../../ui/frames";
import { useCardDetail } from "./details";
import type { Highlight } from "./feed";
import { Highlighted } from "./highlight";

interface Props {
  event: Event;
  highlight?: Highlight;
  index: number;
  /** The number of cards in the feed; -1 while more may load. */
  setSize: number;
  style: Record<string, string | number>;
  fresh: boolean;
  /** A phone's small row: the whole picture, not a crop, so no box is cut off. */
  compact: boolean;
}

/** One event in the timeline: its picture with boxes, and what was judged. */
export function EventCard({ event, highlight, index, setSize, style, fresh, compact }: Props) {
  const detail = useCardDetail(event.id);
  const frame = detail ? coverFrame(detail.detections) : null;
  const path = !detail
    ? undefined
    : !frame
      ? null
      : frame.isVideo
        ? detectionThumbnailPath(frame.source.id)
        : detectionImagePath(frame.source.id);
  const titleId = `event-${event.id}-title`;
  const fallback = detail?.audit?.is_fallback;
  return (
    <article
      class={`card${fresh ? " card--fresh" : ""}`}
      style={style}
      aria-labelledby={titleId}
      aria-posinset={index + 1}
      aria-setsize={setSize}
      data-index={index}
      data-testid="event-card"
      data-event-id={event.id}
    >
      <a class="card__link" href={`/events/${event.id}`}>
        <div class="card__media">
          <AnnotatedImage
            path={path}
            // A video's thumbnail is a crop of the object, so its boxes would not fit.
            boxes={frame && !frame.isVideo ? boxesOf(frame.detections) : []}
            size={frame && !frame.isVideo ? frameSize(frame.detections) : null}
            alt=""
            fit={compact ? "contain" : "cover"}
            labels={false}
          />
        </div>
        <div class="card__body">
          <h2 class="card__title" id={titleId}>
            <span class="card__camera">{event.camera_name || event.camera_id}</span>
            <span class="card__time">
              <When iso={event.started_at} />
              <span class="visually-hidden">, {formatTime(event.started_at)}</span>
            </span>
          </h2>
          <div class="card__marks">
            <RiskBadge level={event.risk_level} score={event.risk_score} />
            {event.is_fast_path && <span class="mark" data-testid="mark-fast-path">Fast path</span>}
            {fallback && <span class="mark mark--warn" data-testid="mark-fallback">Fallback</span>}
            {event.reviewed && <span class="mark mark--ok">Reviewed</span>}
            {event.deleted_at && <span class="mark mark--warn">Deleted</span>}
            {fresh && <span class="mark mark--new">New</span>}
          </div>
          <p class="card__summary">
            {highlight?.summary ? <Highlighted html={highlight.summary} /> : event.summary || "No summary"}
          </p>
          {event.object_types.length > 0 && <p class="card__types">{event.object_types.join(", ")}</p>}
        </div>
      </a>
    </article>
  );
}
