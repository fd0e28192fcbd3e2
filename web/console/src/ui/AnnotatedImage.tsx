// A picture with detection boxes drawn over it. The boxes are an SVG whose viewBox is the
// frame in pixels, laid exactly over the image: `fit` "cover" crops both alike
// (preserveAspectRatio slice is CSS's object-fit: cover), "contain" fits both inside
// alike (meet is contain), "natural" shows the whole picture at its own aspect ratio.

import { useState } from "preact/hooks";
import { useImage } from "../api/images";
import type { Box } from "./frames";

const PALETTE = ["#f59e0b", "#22d3ee", "#a3e635", "#f472b6", "#c084fc", "#fb7185", "#34d399"];

/** A colour per object class, the same on every picture. */
export function classColour(objectType: string): string {
  let hash = 0;
  for (const char of objectType) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return PALETTE[Math.abs(hash) % PALETTE.length] as string;
}

interface PictureProps {
  boxes: Box[];
  /** The frame's size in pixels; the picture's own size when unknown. */
  size: { width: number; height: number } | null;
  alt: string;
  /** cover: fill the box, cropping; contain: the whole picture inside the box; natural: its own aspect. */
  fit: "cover" | "contain" | "natural";
  labels?: boolean;
  testId?: string;
}

/**
 * A picture fetched from the API with boxes: `path` null means there is none, undefined
 * that it is not known yet.
 */
export function AnnotatedImage(props: PictureProps & { path: string | null | undefined }) {
  const { url, error } = useImage(props.path ?? null);
  return <BoxedPicture {...props} url={url} failed={Boolean(error) || props.path === null} />;
}

/** A picture at `url` (an object URL) with boxes; a placeholder while there is none. */
export function BoxedPicture({
  url,
  failed,
  boxes,
  size,
  alt,
  fit,
  labels = true,
  testId,
}: PictureProps & { url: string | null; failed: boolean }) {
  const [natural, setNatural] = useState<{ width: number; height: number } | null>(null);
  const frame = size ?? natural;
  const aspect = fit === "natural" && frame ? `${frame.width} / ${frame.height}` : undefined;
  return (
    <div class={`shot shot--${fit}`} style={aspect ? { aspectRatio: aspect } : undefined} data-testid={testId}>
      {url ? (
        <img
          src={url}
          alt={alt}
          decoding="async"
          onLoad={(event) => {
            const img = event.currentTarget as HTMLImageElement;
            setNatural({ width: img.naturalWidth, height: img.naturalHeight });
          }}
        />
      ) : (
        <div class="shot__placeholder" aria-hidden="true">
          {failed ? "No picture" : ""}
        </div>
      )}
      {url && frame && boxes.length > 0 && (
        <svg
          class="shot__boxes"
          viewBox={`0 0 ${frame.width} ${frame.height}`}
          preserveAspectRatio={fit === "cover" ? "xMidYMid slice" : fit === "contain" ? "xMidYMid meet" : "none"}
          aria-hidden="true"
          data-testid="detection-boxes"
        >
          {boxes.map((box, i) => (
            <g key={i} data-testid="detection-box">
              <rect
                x={box.x}
                y={box.y}
                width={box.width}
                height={box.height}
                fill="none"
                stroke={classColour(box.objectType)}
                stroke-width="2.5"
                vector-effect="non-scaling-stroke"
              />
              {labels && (
                <text
                  x={box.x + 4}
                  y={Math.max(box.y - 6, frame.height / 28)}
                  font-size={frame.height / 28}
                  fill={classColour(box.objectType)}
                  stroke="#000"
                  stroke-width={frame.height / 300}
                  paint-order="stroke"
                >
                  {box.label}
                </text>
              )}
            </g>
          ))}
        </svg>
      )}
    </div>
  );
}
