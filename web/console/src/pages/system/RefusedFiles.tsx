// Files the file-watcher refused or gave up on, newest first.

import { useState } from "preact/hooks";
import { listRefusedFiles } from "../../api/endpoints";
import type { RefusedFile } from "../../api/types";
import { cameraName, useCameras } from "../../data/cameras";
import { formatBytes, formatTime, humanize } from "../../lib/format";
import { ErrorNote, Loading, MoreButton, ScrollBox } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";

export function RefusedFiles() {
  const cameras = useCameras();
  const [reason, setReason] = useState("");
  const first = useLoad((signal) => listRefusedFiles({ reason }, signal), [reason]);
  const [extra, setExtra] = useState<{ files: RefusedFile[]; cursor: string } | null>(null);
  const more = useAction((cursor: string) => listRefusedFiles({ reason, cursor }));
  const files = [...(first.data?.files ?? []), ...(extra?.files ?? [])];
  const cursor = extra ? extra.cursor : first.data?.has_more ? first.data.next_cursor : "";

  return (
    <div class="stack">
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          setExtra(null);
          setReason(String(new FormData(e.currentTarget as HTMLFormElement).get("reason") ?? "").trim());
        }}
      >
        <label class="field">
          <span>Reason</span>
          <input name="reason" placeholder="too_small" defaultValue={reason} />
        </label>
        <button type="submit" class="button">
          Filter
        </button>
      </form>
      {first.loading && !first.data && <Loading />}
      <ErrorNote error={first.error} retry={first.reload} />
      {first.data && files.length === 0 && <p class="muted">No refused files.</p>}
      {files.length > 0 && (
        <ScrollBox label="Refused files">
          <table class="table" data-testid="refused-files">
            <caption class="visually-hidden">Refused files</caption>
            <thead>
              <tr>
                <th scope="col">Recorded</th>
                <th scope="col">Camera</th>
                <th scope="col">File</th>
                <th scope="col">Why</th>
                <th scope="col">Size</th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <tr key={f.id}>
                  <td>{formatTime(f.recorded_at)}</td>
                  <td>{f.camera_id ? cameraName(cameras, f.camera_id) : "–"}</td>
                  <td class="break">{f.path}</td>
                  <td>
                    <strong>{humanize(f.reason)}</strong> ({f.state}){f.detail && <div class="small muted">{f.detail}</div>}
                  </td>
                  <td>{formatBytes(f.size_bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      )}
      <MoreButton
        hasMore={cursor !== ""}
        busy={more.busy}
        onMore={async () => {
          const page = await more.run(cursor);
          if (page) setExtra({ files: [...(extra?.files ?? []), ...page.files], cursor: page.has_more ? page.next_cursor : "" });
        }}
      />
      <ErrorNote error={more.error} />
    </div>
  );
}
