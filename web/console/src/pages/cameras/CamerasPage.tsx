// Every camera with its latest picture, status and when it was last seen.

import { useState } from "preact/hooks";
import { cameraImagePath, deleteCamera, listCameras, restoreCamera } from "../../api/endpoints";
import type { Camera } from "../../api/types";
import { useCan } from "../../auth/permissions";
import { refreshCameras } from "../../data/cameras";
import { AnnotatedImage } from "../../ui/AnnotatedImage";
import { ErrorNote, Loading, PageHead, StatusPill, When } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";
import { DetectNow } from "./DetectNow";

function CameraCard({ camera, onChanged }: { camera: Camera; onChanged: () => void }) {
  const can = useCan();
  const act = useAction(async (change: (id: string) => Promise<Camera>) => change(camera.id));
  const run = async (change: (id: string) => Promise<Camera>, question?: string) => {
    if (question && !window.confirm(question)) return;
    if (await act.run(change)) onChanged();
  };
  return (
    <li class="camera-card panel" data-testid="camera-card" data-camera-id={camera.id}>
      <AnnotatedImage path={cameraImagePath(camera.id)} boxes={[]} size={null} alt={`Latest picture from ${camera.name}`} fit="cover" />
      <div class="camera-card__body">
        <h2 class="camera-card__name">
          <a href={`/cameras/${encodeURIComponent(camera.id)}`} data-testid="camera-link">
            {camera.name}
          </a>
        </h2>
        <p>
          <StatusPill status={camera.deleted_at ? "deleted" : camera.status} /> last seen <When iso={camera.last_seen_at} />
        </p>
        <p class="small muted">
          <a href={`/?camera_ids=${encodeURIComponent(camera.id)}`}>{camera.event_count} events</a>, {camera.unreviewed_event_count} not
          reviewed
        </p>
        {can("DeleteCamera") && (
          <div class="row">
            {camera.deleted_at ? (
              <button type="button" class="button button--small" onClick={() => run(restoreCamera)} disabled={act.busy}>
                Restore
              </button>
            ) : (
              <button
                type="button"
                class="button button--small button--danger"
                onClick={() => run(deleteCamera, `Delete camera ${camera.name}? It can be restored later.`)}
                disabled={act.busy}
              >
                Delete
              </button>
            )}
          </div>
        )}
        <ErrorNote error={act.error} />
      </div>
    </li>
  );
}

export function CamerasPage() {
  const can = useCan();
  const [withDeleted, setWithDeleted] = useState(false);
  const cameras = useLoad((signal) => listCameras(withDeleted, signal), [withDeleted]);
  const changed = () => {
    cameras.reload();
    void refreshCameras();
  };
  return (
    <section>
      <PageHead title="Cameras">
        {can("RestoreCamera") && (
          <label class="check">
            <input type="checkbox" checked={withDeleted} onChange={(e) => setWithDeleted(e.currentTarget.checked)} />
            Show deleted
          </label>
        )}
      </PageHead>
      {cameras.loading && !cameras.data && <Loading />}
      <ErrorNote error={cameras.error} retry={cameras.reload} />
      {cameras.data?.cameras.length === 0 && <p class="muted">No cameras yet: the file watcher adds one per folder it finds.</p>}
      <ul class="camera-grid plain-list" data-testid="camera-grid">
        {cameras.data?.cameras.map((camera) => <CameraCard key={camera.id} camera={camera} onChanged={changed} />)}
      </ul>
      {can("DetectNow") && <DetectNow />}
    </section>
  );
}
