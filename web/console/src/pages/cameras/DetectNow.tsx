// "Detect now": run the detector on a picture from this device; nothing is stored.

import { useEffect, useState } from "preact/hooks";
import { detectNow } from "../../api/endpoints";
import type { DetectNowResponse } from "../../api/types";
import { formatMs, formatPercent } from "../../lib/format";
import { BoxedPicture } from "../../ui/AnnotatedImage";
import { ErrorNote } from "../../ui/bits";
import { useAction } from "../../ui/useLoad";

export function DetectNow() {
  const [file, setFile] = useState<File | null>(null);
  const [url, setUrl] = useState<string | null>(null);
  const [answer, setAnswer] = useState<DetectNowResponse | null>(null);
  const run = useAction(detectNow);

  useEffect(() => {
    if (!file) return;
    const objectUrl = URL.createObjectURL(file);
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [file]);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!file) return;
    const result = await run.run(file);
    if (result) setAnswer(result);
  };

  return (
    <section class="panel stack" aria-labelledby="detect-title">
      <h2 id="detect-title">Detect now</h2>
      <p class="muted small">Runs the detector on a JPEG or PNG picture from this device. Nothing is stored.</p>
      <form class="row" onSubmit={submit}>
        <label class="field">
          <span>Picture</span>
          <input
            type="file"
            accept="image/jpeg,image/png"
            onChange={(e) => {
              setAnswer(null);
              setFile(e.currentTarget.files?.[0] ?? null);
            }}
          />
        </label>
        <button type="submit" class="button button--primary" disabled={!file || run.busy}>
          {run.busy ? "Detecting…" : "Detect"}
        </button>
      </form>
      <ErrorNote error={run.error} />
      {url && (
        <BoxedPicture
          url={url}
          failed={false}
          alt="The uploaded picture"
          fit="natural"
          size={answer ? { width: answer.image_width, height: answer.image_height } : null}
          boxes={(answer?.objects ?? []).map((o) => ({
            x: o.x,
            y: o.y,
            width: o.width,
            height: o.height,
            objectType: o.object_type,
            label: `${o.object_type} ${Math.round(o.confidence * 100)}%`,
          }))}
        />
      )}
      {answer && (
        <p role="status">
          {answer.objects.length === 0
            ? "Nothing found"
            : answer.objects.map((o) => `${o.object_type} ${formatPercent(o.confidence)}`).join(", ")}{" "}
          in {formatMs(answer.inference_ms)}.
        </p>
      )}
    </section>
  );
}
