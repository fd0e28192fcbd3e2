// The cameras, loaded once and shared: filters, forms and labels all need their names.

import { useEffect } from "preact/hooks";
import { listCameras } from "../api/endpoints";
import type { Camera } from "../api/types";
import { Store, useStore } from "../lib/store";

export const cameras = new Store<Camera[] | null>(null);
let loading: Promise<void> | null = null;

/** Loads the cameras again (after a rename). */
export function refreshCameras(): Promise<void> {
  loading = listCameras().then(
    (answer) => cameras.set(answer.cameras),
    () => {
      loading = null; // try again next time someone asks
    },
  );
  return loading;
}

/** The cameras (null until loaded). */
export function useCameras(): Camera[] | null {
  const list = useStore(cameras);
  useEffect(() => {
    if (!loading) void refreshCameras();
  }, []);
  return list;
}

/** A camera's name, or its id while the names are unknown. */
export function cameraName(list: Camera[] | null, id: string): string {
  return list?.find((camera) => camera.id === id)?.name ?? id;
}

/** Forgets the cameras (signing out). */
export function forgetCameras(): void {
  loading = null;
  cameras.set(null);
}
