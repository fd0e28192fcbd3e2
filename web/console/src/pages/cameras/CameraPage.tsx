// One camera: its name (renamed by an admin) and its zones.

import { getCamera, updateCamera } from "../../api/endpoints";
import { useCan } from "../../auth/permissions";
import { refreshCameras } from "../../data/cameras";
import { ErrorNote, Loading, PageHead, StatusPill, When } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";
import { ZoneEditor } from "./ZoneEditor";

export function CameraPage({ id }: { id: string }) {
  const can = useCan();
  const camera = useLoad((signal) => getCamera(id, signal), [id]);
  const rename = useAction(updateCamera);

  if (!camera.data) {
    // The same heading element as when loaded, so the focus put on it stays.
    return (
      <section>
        <PageHead title="Camera" />
        {camera.loading ? <Loading /> : <ErrorNote error={camera.error} retry={camera.reload} />}
      </section>
    );
  }
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget as HTMLFormElement).get("name") ?? "").trim();
    const answer = await rename.run(id, { name });
    if (answer) {
      camera.setData(answer);
      void refreshCameras();
    }
  };
  const data = camera.data;
  return (
    <section>
      <PageHead title={data.name}>
        <a class="button" href={`/?camera_ids=${encodeURIComponent(id)}`}>
          Events
        </a>
      </PageHead>
      <p>
        <StatusPill status={data.status} /> last seen <When iso={data.last_seen_at} /> · folder <code class="break">{data.folder_path}</code>
      </p>
      {can("UpdateCamera") && (
        <form class="row" onSubmit={submit} key={data.name} data-testid="camera-rename">
          <label class="field">
            <span>Name</span>
            <input name="name" defaultValue={data.name} required maxLength={255} data-testid="camera-name" />
          </label>
          <button type="submit" class="button" disabled={rename.busy} data-testid="camera-rename-save">
            Rename
          </button>
          <ErrorNote error={rename.error} />
        </form>
      )}
      <ZoneEditor cameraId={id} editable={can("CreateZone")} />
    </section>
  );
}
