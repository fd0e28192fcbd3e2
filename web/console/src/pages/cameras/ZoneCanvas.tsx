// The drawing surface of the zone editor: the camera's latest picture with every zone
// over it, and the zone being edited with its point handles. Pointer: click to add
// polygon points, click the first point to close, drag a point to move it, drag on the
// picture to draw a rectangle. Keyboard: Tab to a point, arrows move it (Shift: further),
// Delete removes it.

import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { cameraImagePath } from "../../api/endpoints";
import { useImage } from "../../api/images";
import type { Zone, ZonePoint, ZoneShape } from "../../api/types";
import { clamp01, svgPoints } from "./outline";

export interface Outline {
  shape: ZoneShape;
  points: ZonePoint[];
  /** A polygon stops taking new points once closed. */
  closed: boolean;
  color: string;
}

interface Props {
  cameraId: string;
  zones: Zone[];
  selectedId: string | null;
  outline: Outline | null;
  editable: boolean;
  selectedPoint: number | null;
  onSelectZone: (id: string) => void;
  onSelectPoint: (index: number | null) => void;
  onChange: (outline: Outline) => void;
}

type Drag = { kind: "point"; index: number; x: number; y: number; moved: boolean } | { kind: "rect"; origin: ZonePoint } | { kind: "click"; x: number; y: number };

/** A point handle's radius on screen, in CSS pixels. */
const HANDLE_PX = 9;
/** Movement below this many pixels is a click, not a drag. */
const CLICK_SLOP = 4;

export function ZoneCanvas(props: Props) {
  const { url, error } = useImage(cameraImagePath(props.cameraId));
  const [size, setSize] = useState({ width: 1600, height: 900 });
  const svgRef = useRef<SVGSVGElement>(null);
  const drag = useRef<Drag | null>(null);
  const { outline, editable } = props;
  // Handles keep one size on screen (big enough for a finger) whatever the picture's size.
  const [shown, setShown] = useState(0);
  useLayoutEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const observer = new ResizeObserver(() => setShown(svg.clientWidth));
    observer.observe(svg);
    return () => observer.disconnect();
  }, []);
  const handle = (HANDLE_PX * size.width) / (shown || size.width);

  const toPoint = (event: PointerEvent): ZonePoint => {
    const box = (svgRef.current as SVGSVGElement).getBoundingClientRect();
    return { x: clamp01((event.clientX - box.left) / box.width), y: clamp01((event.clientY - box.top) / box.height) };
  };

  const setPoints = (points: ZonePoint[], closed = outline?.closed ?? false) => {
    if (outline) props.onChange({ ...outline, points, closed });
  };

  const onBackgroundDown = (event: PointerEvent) => {
    if (!editable || !outline || event.button !== 0) return;
    (event.currentTarget as Element).setPointerCapture(event.pointerId);
    if (outline.shape === "rectangle") {
      const origin = toPoint(event);
      drag.current = { kind: "rect", origin };
      setPoints([origin, origin]);
    } else {
      drag.current = { kind: "click", x: event.clientX, y: event.clientY };
    }
  };

  const onHandleDown = (event: PointerEvent, index: number) => {
    if (!editable || event.button !== 0) return;
    event.stopPropagation();
    (svgRef.current as SVGSVGElement).setPointerCapture(event.pointerId);
    drag.current = { kind: "point", index, x: event.clientX, y: event.clientY, moved: false };
    props.onSelectPoint(index);
  };

  const onMove = (event: PointerEvent) => {
    const current = drag.current;
    if (!current || !outline) return;
    if (current.kind === "point") {
      if (!current.moved && Math.hypot(event.clientX - current.x, event.clientY - current.y) < CLICK_SLOP) return;
      current.moved = true;
      const points = outline.points.slice();
      points[current.index] = toPoint(event);
      setPoints(points);
    } else if (current.kind === "rect") {
      setPoints([current.origin, toPoint(event)]);
    }
  };

  const onUp = (event: PointerEvent) => {
    const current = drag.current;
    drag.current = null;
    if (!current || !outline) return;
    if (current.kind === "click") {
      const still = Math.hypot(event.clientX - current.x, event.clientY - current.y) < CLICK_SLOP;
      if (still && !outline.closed && outline.points.length < 100) {
        setPoints([...outline.points, toPoint(event)]);
        props.onSelectPoint(outline.points.length);
      }
    } else if (current.kind === "point" && !current.moved && current.index === 0) {
      // Clicking the first point closes the polygon.
      if (outline.shape === "polygon" && !outline.closed && outline.points.length >= 3) setPoints(outline.points, true);
    }
  };

  const onHandleKey = (event: KeyboardEvent, index: number) => {
    if (!editable || !outline) return;
    const step = event.shiftKey ? 0.02 : 0.005;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      const points = outline.points.slice();
      const p = points[index] as ZonePoint;
      points[index] = { x: clamp01(p.x + move[0]), y: clamp01(p.y + move[1]) };
      setPoints(points);
    } else if ((event.key === "Delete" || event.key === "Backspace") && outline.shape === "polygon") {
      event.preventDefault();
      setPoints(outline.points.filter((_, i) => i !== index), outline.closed && outline.points.length > 3);
      props.onSelectPoint(null);
    } else if (event.key === "Enter" && index === 0 && outline.shape === "polygon" && outline.points.length >= 3) {
      setPoints(outline.points, true);
    }
  };

  const { width, height } = size;
  return (
    <div class="zone-canvas" style={{ aspectRatio: `${width} / ${height}` }}>
      {url ? (
        <img
          src={url}
          alt="The camera's latest picture"
          onLoad={(e) => {
            const img = e.currentTarget as HTMLImageElement;
            if (img.naturalWidth && img.naturalHeight) setSize({ width: img.naturalWidth, height: img.naturalHeight });
          }}
        />
      ) : (
        <div class="shot__placeholder">{error ? "No picture from this camera yet: zones can still be drawn." : "Loading the picture…"}</div>
      )}
      <svg
        ref={svgRef}
        class={`zone-canvas__svg${editable && outline ? " zone-canvas__svg--drawing" : ""}`}
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        role="group"
        aria-label="Zone drawing area"
        aria-describedby="zone-help"
        data-testid="zone-editor"
        onPointerDown={onBackgroundDown}
        onPointerMove={onMove}
        onPointerUp={onUp}
        onPointerCancel={() => (drag.current = null)}
      >
        {props.zones
          .filter((zone) => zone.id !== props.selectedId)
          .map((zone) => (
            <polygon
              key={zone.id}
              class="zone-shape"
              points={svgPoints(zone.shape, zone.points, width, height)}
              fill={zone.color}
              fill-opacity={zone.enabled ? 0.2 : 0.08}
              stroke={zone.color}
              stroke-width="2"
              stroke-dasharray={zone.enabled ? undefined : "6 4"}
              vector-effect="non-scaling-stroke"
              data-testid="zone-shape"
              data-zone-id={zone.id}
              onPointerDown={(e) => {
                if (outline && editable) return; // drawing: clicks belong to the drawing
                e.stopPropagation();
                props.onSelectZone(zone.id);
              }}
            >
              <title>{zone.name}</title>
            </polygon>
          ))}
        {outline && outline.points.length > 0 && (
          <>
            {outline.shape === "polygon" && !outline.closed ? (
              <polyline
                points={svgPoints("polygon", outline.points, width, height)}
                fill="none"
                stroke={outline.color}
                stroke-width="3"
                vector-effect="non-scaling-stroke"
                data-testid="zone-draft"
              />
            ) : (
              <polygon
                points={svgPoints(outline.shape, outline.points, width, height)}
                fill={outline.color}
                fill-opacity="0.3"
                stroke={outline.color}
                stroke-width="3"
                vector-effect="non-scaling-stroke"
                data-testid="zone-draft"
              />
            )}
            {editable &&
              outline.points.map((p, i) => (
                <circle
                  key={i}
                  class={`zone-handle${props.selectedPoint === i ? " zone-handle--selected" : ""}`}
                  cx={p.x * width}
                  cy={p.y * height}
                  r={i === 0 && outline.shape === "polygon" && !outline.closed ? handle * 1.4 : handle}
                  tabIndex={0}
                  role="button"
                  aria-label={`Point ${i + 1} of ${outline.points.length}: x ${p.x.toFixed(3)}, y ${p.y.toFixed(3)}${
                    i === 0 && !outline.closed && outline.shape === "polygon" ? ". Press Enter to close the polygon" : ""
                  }`}
                  data-testid="zone-handle"
                  data-index={i}
                  onPointerDown={(e) => onHandleDown(e, i)}
                  onFocus={() => props.onSelectPoint(i)}
                  onKeyDown={(e) => onHandleKey(e, i)}
                />
              ))}
          </>
        )}
      </svg>
    </div>
  );
}
