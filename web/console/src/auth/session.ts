// Who is signed in. The key lives in sessionStorage (gone when the tab closes) or, when
// the user asks to be remembered, localStorage; never in a URL, never in a log.

import { ApiError, setKey, whenUnauthenticated } from "../api/client";
import { whoAmI } from "../api/endpoints";
import { forgetImages } from "../api/images";
import { live } from "../api/live";
import { forgetCameras } from "../data/cameras";
import type { ApiKey } from "../api/types";
import { Store } from "../lib/store";

const STORAGE_KEY = "hsi.console.key";

export interface Session {
  /** The key's name and scope, as /whoami answers. */
  who: ApiKey;
}

/** The signed-in session; null while signed out. */
export const session = new Store<Session | null>(null);
/** Why the user was signed out, to show on the sign-in form. */
export const signOutReason = new Store<string>("");

function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage blocked: the user signs in each time
  }
}

function storeKey(key: string | null, remember = false): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
    localStorage.removeItem(STORAGE_KEY);
    if (key) (remember ? localStorage : sessionStorage).setItem(STORAGE_KEY, key);
  } catch {
    // Storage blocked: the session lasts as long as this page.
  }
}

/** A string shaped like an HSI key: hsi_<16 hex>_<secret>. */
export function looksLikeKey(text: string): boolean {
  return /^hsi_[0-9a-fA-F]{16}_\S+$/.test(text);
}

/** Checks `key` with /whoami and signs in with it; throws the gateway's refusal. */
export async function signIn(key: string, remember: boolean): Promise<void> {
  setKey(key);
  try {
    const who = await whoAmI();
    storeKey(key, remember);
    begin(key, who);
  } catch (err) {
    setKey(null);
    throw err;
  }
}

function begin(key: string, who: ApiKey): void {
  signOutReason.set("");
  session.set({ who });
  live.start(key);
}

export function signOut(reason = ""): void {
  storeKey(null);
  setKey(null);
  live.stop();
  forgetImages();
  forgetCameras();
  signOutReason.set(reason);
  session.set(null);
}

/**
 * Signs in with a remembered key, if there is one and it still works. Answers whether
 * a session began.
 */
export async function resume(): Promise<boolean> {
  const key = storedKey();
  if (!key) return false;
  setKey(key);
  try {
    begin(key, await whoAmI());
    return true;
  } catch (err) {
    setKey(null);
    // A refused key is forgotten; a gateway that is down keeps it for the next try.
    if (err instanceof ApiError && err.status === 401) storeKey(null);
    signOutReason.set(err instanceof ApiError ? err.message : "");
    return false;
  }
}

// A key revoked while in use: back to the sign-in form, saying why.
whenUnauthenticated((error) => {
  if (session.get()) signOut(error.message);
});
