// Grouping an event's detections by the picture they were found in, so each picture is
// shown once with all its boxes.

import type { Detection } from "../api/types";

/** One picture (a still, or a video) and the detections in it. */
export interface Frame {
  /** The detection whose image (or thumbnail, for a video) stands for the picture. */
  source: Detection;
  detections: Detection[];
  isVideo: boolean;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
  objectType: string;
}

export function isVideo(detection: Detection): boolean {
  return detection.media_type === "video" || /\.(mp4|mkv|mov|avi|webm)$/i.test(detection.file_path);
}

/** The pictures of an event, in the order they were first seen. */
export function framesOf(detections: Detection[]): Frame[] {
  const byFile = new Map<string, Frame>();
  for (const detection of detections) {
    // A video's frames each get their own picture (the sampled frame's offset).
    const key = `${detection.file_path}#${detection.frame_offset ?? ""}`;
    const frame = byFile.get(key);
    if (frame) frame.detections.push(detection);
    else byFile.set(key, { source: detection, detections: [detection], isVideo: isVideo(detection) });
  }
  return [...byFile.values()];
}

/** The picture a card shows: the still with the most confident detection, else any. */
export function coverFrame(detections: Detection[]): Frame | null {
  const frames = framesOf(detections);
  const best = (frame: Frame) => Math.max(...frame.detections.map((d) => d.confidence ?? 0));
  const stills = frames.filter((frame) => !frame.isVideo).sort((a, b) => best(b) - best(a));
  return stills[0] ?? frames[0] ?? null;
}

/** The boxes of a frame's detections, in frame pixels (top-left corner, size). */
export function boxesOf(detections: Detection[]): Box[] {
  const boxes: Box[] = [];
  for (const d of detections) {
    if (d.bbox_x == null || d.bbox_y == null || !d.bbox_width || !d.bbox_height) continue;
    const type = d.object_type ?? "object";
    const confidence = d.confidence == null ? "" : ` ${Math.round(d.confidence * 100)}%`;
    boxes.push({
      x: d.bbox_x,
      y: d.bbox_y,
      width: d.bbox_width,
      height: d.bbox_height,
      label: type + confidence,
      objectType: type,
    });
  }
  return boxes;
}

/** The frame's pixel size as the detections recorded it, if they did. */
export function frameSize(detections: Detection[]): { width: number; height: number } | null {
  const known = detections.find((d) => d.frame_width && d.frame_height);
  return known ? { width: known.frame_width as number, height: known.frame_height as number } : null;
}
