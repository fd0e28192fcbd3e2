import { describe, expect, it } from "vitest";
import type { Detection } from "../api/types";
import { boxesOf, coverFrame, framesOf } from "./frames";

const d = (id: number, file: string, confidence: number, media = "image"): Detection => ({
  id,
  camera_id: "c",
  file_path: file,
  detected_at: "",
  object_type: "person",
  confidence,
  bbox_x: 10,
  bbox_y: 20,
  bbox_width: 30,
  bbox_height: 40,
  frame_width: 640,
  frame_height: 480,
  media_type: media,
});

describe("frames", () => {
  it("groups detections by picture and covers a card with the most confident still", () => {
    const list = [d(1, "/a.jpg", 0.5), d(2, "/b.jpg", 0.9), d(3, "/a.jpg", 0.6), d(4, "/v.mp4", 0.99, "video")];
    expect(framesOf(list).map((f) => f.detections.map((x) => x.id))).toEqual([[1, 3], [2], [4]]);
    expect(coverFrame(list)?.source.id).toBe(2);
    expect(coverFrame([d(4, "/v.mp4", 0.99, "video")])?.isVideo).toBe(true);
    expect(coverFrame([])).toBeNull();
  });

  it("draws boxes only for detections that have one", () => {
    expect(boxesOf([d(1, "/a.jpg", 0.5), { ...d(2, "/a.jpg", 0.5), bbox_width: null }])).toEqual([
      { x: 10, y: 20, width: 30, height: 40, label: "person 50%", objectType: "person" },
    ]);
  });
});
