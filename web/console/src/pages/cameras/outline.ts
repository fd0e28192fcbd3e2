// Zone outlines as the gateway accepts them (crates/api-gateway/src/resources/zones/
// outline.rs): points normalised 0..1; a rectangle as 2 opposite corners; a polygon of 3
// to 100 points that does not cross itself. Checked here too, so the editor can say
// what is wrong before saving.

import type { ZonePoint, ZoneShape } from "../../api/types";

export const MAX_POINTS = 100;
const EPSILON = 1e-12;

export function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/** Rounds to 4 decimals (a tenth of a pixel on a 1000-pixel frame) for tidy JSON. */
export function tidy(point: ZonePoint): ZonePoint {
  return { x: Math.round(clamp01(point.x) * 1e4) / 1e4, y: Math.round(clamp01(point.y) * 1e4) / 1e4 };
}

function cross(a: ZonePoint, b: ZonePoint, c: ZonePoint): number {
  return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
}

function onSegment(a: ZonePoint, b: ZonePoint, p: ZonePoint): boolean {
  return Math.min(a.x, b.x) <= p.x && p.x <= Math.max(a.x, b.x) && Math.min(a.y, b.y) <= p.y && p.y <= Math.max(a.y, b.y);
}

/** Whether segments ab and cd share any point. */
export function segmentsMeet(a: ZonePoint, b: ZonePoint, c: ZonePoint, d: ZonePoint): boolean {
  const d1 = cross(c, d, a);
  const d2 = cross(c, d, b);
  const d3 = cross(a, b, c);
  const d4 = cross(a, b, d);
  if (((d1 > EPSILON && d2 < -EPSILON) || (d1 < -EPSILON && d2 > EPSILON)) &&
      ((d3 > EPSILON && d4 < -EPSILON) || (d3 < -EPSILON && d4 > EPSILON))) {
    return true;
  }
  return (
    (Math.abs(d1) <= EPSILON && onSegment(c, d, a)) ||
    (Math.abs(d2) <= EPSILON && onSegment(c, d, b)) ||
    (Math.abs(d3) <= EPSILON && onSegment(a, b, c)) ||
    (Math.abs(d4) <= EPSILON && onSegment(a, b, d))
  );
}

/** What is wrong with an outline, or null when the gateway will take it. */
export function outlineProblem(shape: ZoneShape, points: ZonePoint[]): string | null {
  if (points.some((p) => !(p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1))) {
    return "Every point must lie on the picture (0 to 1).";
  }
  if (shape === "rectangle") {
    const [a, b] = points;
    if (points.length !== 2 || !a || !b) return "Drag on the picture to draw the rectangle.";
    if (a.x === b.x || a.y === b.y) return "The rectangle has no width or no height.";
    return null;
  }
  const n = points.length;
  if (n < 3) return "A polygon needs at least 3 points.";
  if (n > MAX_POINTS) return `A zone may have at most ${MAX_POINTS} points.`;
  for (let i = 0; i < n; i++) {
    const p = points[i] as ZonePoint;
    const q = points[(i + 1) % n] as ZonePoint;
    if (p.x === q.x && p.y === q.y) return `Point ${((i + 1) % n) + 1} repeats point ${i + 1}.`;
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue; // the closing edge touches the first
      const a = points[i] as ZonePoint;
      const b = points[(i + 1) % n] as ZonePoint;
      const c = points[j] as ZonePoint;
      const d = points[(j + 1) % n] as ZonePoint;
      if (segmentsMeet(a, b, c, d)) return `The outline crosses itself (edges ${i + 1} and ${j + 1}). Move a point.`;
    }
  }
  return null;
}

/** A rectangle's two corners as the gateway stores them: top-left, bottom-right. */
export function orderedCorners(a: ZonePoint, b: ZonePoint): [ZonePoint, ZonePoint] {
  return [
    { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y) },
    { x: Math.max(a.x, b.x), y: Math.max(a.y, b.y) },
  ];
}

/** The SVG `points` of an outline scaled to a picture `width` × `height`. */
export function svgPoints(shape: ZoneShape, points: ZonePoint[], width: number, height: number): string {
  const corners =
    shape === "rectangle" && points.length === 2
      ? (() => {
          const [a, b] = orderedCorners(points[0] as ZonePoint, points[1] as ZonePoint);
          return [a, { x: b.x, y: a.y }, b, { x: a.x, y: b.y }];
        })()
      : points;
  return corners.map((p) => `${p.x * width},${p.y * height}`).join(" ");
}
