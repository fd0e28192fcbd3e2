// What each scope may do, mirroring crates/api-gateway/src/resources/*/mod.rs POLICY:
// the console hides what the key would be refused, and the gateway still decides.

import type { Scope } from "../api/types";
import { session } from "./session";
import { useStore } from "../lib/store";

const RANK: Record<Scope, number> = { read: 0, operator: 1, admin: 2 };

/** The operations the console offers that need more than `read`. */
export const NEEDS = {
  ReviewEvent: "operator",
  DeleteEvent: "operator",
  RestoreEvent: "operator",
  ReanalyzeEvent: "operator",
  SubmitEventFeedback: "operator",
  AcknowledgeAlert: "operator",
  DismissAlert: "operator",
  DetectNow: "operator",
  TestAlertRule: "operator",
  ListAlertRules: "admin",
  CreateAlertRule: "admin",
  UpdateAlertRule: "admin",
  DeleteAlertRule: "admin",
  UpdateCamera: "admin",
  DeleteCamera: "admin",
  RestoreCamera: "admin",
  CreateZone: "admin",
  UpdateZone: "admin",
  DeleteZone: "admin",
  UpdatePrompt: "admin",
  RollbackPrompt: "admin",
  UpdateNotificationPreferences: "admin",
  UpdateCameraNotificationSetting: "admin",
  CreateQuietHours: "admin",
  RequeueDeadLetters: "admin",
  ListApiKeys: "admin",
  ListAuditLogs: "admin",
} as const satisfies Record<string, Scope>;

export type Operation = keyof typeof NEEDS;

export function allows(scope: Scope | undefined, operation: Operation): boolean {
  if (!scope) return false;
  return RANK[scope] >= RANK[NEEDS[operation]];
}

/** `can(op)`: whether the signed-in key may do `op`. */
export function useCan(): (operation: Operation) => boolean {
  const current = useStore(session);
  return (operation) => allows(current?.who.scope, operation);
}
