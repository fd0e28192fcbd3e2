// One function per REST operation the console uses, named as the gateway names the
// operation (see crates/api-gateway/src/resources/*/rest.rs).

import { call, send } from "./client";
import type * as T from "./types";

const id = (value: string | number) => encodeURIComponent(String(value));
type Signal = AbortSignal | undefined;

// Keys.
export const whoAmI = (signal?: Signal) => call<T.ApiKey>("GET", "/whoami", { signal });
export const listApiKeys = (includeRevoked: boolean) =>
  call<{ keys: T.ApiKey[] }>("GET", "/api-keys", { query: { include_revoked: includeRevoked } });
export const createApiKey = (body: { name: string; scope: T.Scope }) =>
  call<T.CreatedApiKey>("POST", "/api-keys", { body });
export const revokeApiKey = (keyId: number) => call<T.ApiKey>("DELETE", `/api-keys/${id(keyId)}`);

// Events.
export const listEvents = (query: T.ListEventsRequest, signal?: Signal) =>
  call<T.ListEventsResponse>("GET", "/events", { query, signal });
export const searchEvents = (query: T.SearchEventsRequest, signal?: Signal) =>
  call<T.SearchEventsResponse>("GET", "/events/search", { query, signal });
export const getEvent = (eventId: number, signal?: Signal) =>
  call<T.EventDetail>("GET", `/events/${id(eventId)}`, { signal });
export const reviewEvent = (eventId: number, body: T.ReviewEventRequest) =>
  call<T.Event>("PATCH", `/events/${id(eventId)}`, { body });
export const deleteEvent = (eventId: number) => call<T.Event>("DELETE", `/events/${id(eventId)}`);
export const restoreEvent = (eventId: number) => call<T.Event>("POST", `/events/${id(eventId)}/restore`);
export const reanalyzeEvent = (eventId: number) =>
  call<T.EventJudgement>("POST", `/events/${id(eventId)}/reanalyze`);
export const getEventFeedback = (eventId: number, signal?: Signal) =>
  call<T.EventFeedback>("GET", `/events/${id(eventId)}/feedback`, { signal });
export const submitEventFeedback = (eventId: number, body: T.SubmitEventFeedbackRequest) =>
  call<T.EventFeedback>("PUT", `/events/${id(eventId)}/feedback`, { body });
export const getFeedbackStats = (signal?: Signal) =>
  call<T.FeedbackStats>("GET", "/feedback/stats", { signal });

// Detections: pictures are fetched by images.ts.
export const detectionImagePath = (detectionId: number) => `/detections/${id(detectionId)}/image`;
export const detectionThumbnailPath = (detectionId: number) => `/detections/${id(detectionId)}/thumbnail`;
export const detectNow = async (image: Blob, minConfidence?: number) => {
  const query = minConfidence == null ? "" : `?min_confidence=${minConfidence}`;
  const response = await send(`/detect${query}`, {
    method: "POST",
    headers: { "Content-Type": image.type, Accept: "application/json" },
    body: image,
  });
  return (await response.json()) as T.DetectNowResponse;
};

// Alerts.
export const listAlerts = (query: T.ListAlertsRequest, signal?: Signal) =>
  call<T.ListAlertsResponse>("GET", "/alerts", { query, signal });
export const acknowledgeAlert = (alert: T.Alert) =>
  call<T.Alert>("POST", `/alerts/${id(alert.id)}/acknowledge`, { body: { version_id: alert.version_id } });
export const dismissAlert = (alert: T.Alert) =>
  call<T.Alert>("POST", `/alerts/${id(alert.id)}/dismiss`, { body: { version_id: alert.version_id } });
export const listAlertDeliveries = (alertId: string, cursor = "") =>
  call<T.ListAlertDeliveriesResponse>("GET", `/alerts/${id(alertId)}/deliveries`, { query: { cursor } });

// Cameras and zones.
export const listCameras = (includeDeleted = false, signal?: Signal) =>
  call<{ cameras: T.Camera[] }>("GET", "/cameras", { query: { include_deleted: includeDeleted || undefined }, signal });
export const getCamera = (cameraId: string, signal?: Signal) =>
  call<T.Camera>("GET", `/cameras/${id(cameraId)}`, { signal });
export const updateCamera = (cameraId: string, body: T.UpdateCameraRequest) =>
  call<T.Camera>("PATCH", `/cameras/${id(cameraId)}`, { body });
export const deleteCamera = (cameraId: string) => call<T.Camera>("DELETE", `/cameras/${id(cameraId)}`);
export const restoreCamera = (cameraId: string) => call<T.Camera>("POST", `/cameras/${id(cameraId)}/restore`);
export const cameraImagePath = (cameraId: string) => `/cameras/${id(cameraId)}/latest-image`;
export const listZones = (cameraId = "", signal?: Signal) =>
  call<{ zones: T.Zone[] }>("GET", "/zones", { query: { camera_id: cameraId }, signal });
export const createZone = (body: T.CreateZoneRequest) => call<T.Zone>("POST", "/zones", { body });
export const updateZone = (zoneId: string, body: T.UpdateZoneRequest) =>
  call<T.Zone>("PATCH", `/zones/${id(zoneId)}`, { body });
export const deleteZone = (zoneId: string) => call<T.Zone>("DELETE", `/zones/${id(zoneId)}`);

// Alert rules.
export const listAlertRules = (signal?: Signal) =>
  call<{ rules: T.AlertRule[] }>("GET", "/alert-rules", { signal });
export const getAlertRule = (ruleId: string, signal?: Signal) =>
  call<T.AlertRule>("GET", `/alert-rules/${id(ruleId)}`, { signal });
export const createAlertRule = (body: T.AlertRuleDraft) => call<T.AlertRule>("POST", "/alert-rules", { body });
export const updateAlertRule = (ruleId: string, body: T.AlertRuleDraft) =>
  call<T.AlertRule>("PUT", `/alert-rules/${id(ruleId)}`, { body });
export const deleteAlertRule = (ruleId: string) =>
  call<{ id: string; deleted: boolean }>("DELETE", `/alert-rules/${id(ruleId)}`);
export const setAlertRuleEnabled = (ruleId: string, enabled: boolean) =>
  call<T.AlertRule>("PUT", `/alert-rules/${id(ruleId)}/enabled`, { body: { enabled } });
export const testAlertRule = (rule: T.AlertRuleDraft, limit: number) =>
  call<T.TestAlertRuleResponse>("POST", "/alert-rules/test", { body: { rule, limit } });

// Prompts.
export const getActivePrompt = (model: string, signal?: Signal) =>
  call<T.PromptConfig>("GET", `/prompts/${id(model)}`, { signal });
export const updatePrompt = (model: string, body: T.UpdatePromptRequest) =>
  call<T.PromptConfig>("PUT", `/prompts/${id(model)}`, { body });
export const listPromptVersions = (model: string, cursor = "", signal?: Signal) =>
  call<T.ListPromptVersionsResponse>("GET", `/prompts/${id(model)}/versions`, { query: { cursor }, signal });
export const diffPromptVersions = (model: string, from: number, to: number) =>
  call<T.PromptDiff>("GET", `/prompts/${id(model)}/diff`, { query: { from_version: from, to_version: to } });
export const rollbackPrompt = (model: string, version: number, changeDescription?: string) =>
  call<T.PromptConfig>("POST", `/prompts/${id(model)}/rollback`, {
    body: { version, change_description: changeDescription || undefined },
  });

// Notifications.
export const getNotificationPreferences = (signal?: Signal) =>
  call<T.NotificationPreferences>("GET", "/notifications/preferences", { signal });
export const updateNotificationPreferences = (body: T.UpdateNotificationPreferencesRequest) =>
  call<T.NotificationPreferences>("PUT", "/notifications/preferences", { body });
export const listCameraNotificationSettings = (signal?: Signal) =>
  call<{ settings: T.CameraNotificationSetting[] }>("GET", "/notifications/cameras", { signal });
export const updateCameraNotificationSetting = (
  cameraId: string,
  body: { enabled?: boolean; risk_threshold?: number },
) => call<T.CameraNotificationSetting>("PUT", `/notifications/cameras/${id(cameraId)}`, { body });
export const deleteCameraNotificationSetting = (cameraId: string) =>
  call<{ camera_id: string; deleted: boolean }>("DELETE", `/notifications/cameras/${id(cameraId)}`);
export const listQuietHours = (signal?: Signal) =>
  call<{ periods: T.QuietHoursPeriod[] }>("GET", "/notifications/quiet-hours", { signal });
export const createQuietHours = (body: T.QuietHoursBody) =>
  call<T.QuietHoursPeriod>("POST", "/notifications/quiet-hours", { body });
export const updateQuietHours = (periodId: string, body: T.QuietHoursBody) =>
  call<T.QuietHoursPeriod>("PATCH", `/notifications/quiet-hours/${id(periodId)}`, { body });
export const deleteQuietHours = (periodId: string) =>
  call<{ id: string; deleted: boolean }>("DELETE", `/notifications/quiet-hours/${id(periodId)}`);

// System.
export const getSystemHealth = (signal?: Signal) => call<T.SystemHealth>("GET", "/system/health", { signal });
export const getQueueStats = (signal?: Signal) =>
  call<{ streams: T.QueueStreamStats[] }>("GET", "/system/queues", { signal });
export const listDeadLetters = (stream: string, cursor = "", signal?: Signal) =>
  call<T.ListDeadLettersResponse>("GET", `/system/queues/${id(stream)}/dead-letters`, {
    query: { cursor, limit: 50 },
    signal,
  });
export const getDeadLetter = (stream: string, letterId: string) =>
  call<T.QueueDeadLetter>("GET", `/system/queues/${id(stream)}/dead-letters/${id(letterId)}`);
export const requeueDeadLetters = (stream: string, body: { ids?: string[]; all?: boolean }) =>
  call<{ requeued: number }>("POST", `/system/queues/${id(stream)}/dead-letters/requeue`, { body });
export const listRefusedFiles = (query: { reason?: string; camera_id?: string; cursor?: string }, signal?: Signal) =>
  call<T.ListRefusedFilesResponse>("GET", "/system/refused-files", { query: { ...query, limit: 50 }, signal });
export const listGpuStats = (since: string, signal?: Signal) =>
  call<{ samples: T.GpuStatsSample[]; has_more: boolean }>("GET", "/system/gpu-stats", {
    query: { since, limit: 500 },
    signal,
  });
export const getPipelineLatency = (since: string, signal?: Signal) =>
  call<T.PipelineLatency>("GET", "/system/latency", { query: { since }, signal });
export const getVersion = (signal?: Signal) => call<T.SystemVersion>("GET", "/system/version", { signal });

// Audit.
export const listAuditLogs = (query: { action?: string; actor?: string; status?: string; cursor?: string }) =>
  call<T.ListAuditLogsResponse>("GET", "/audit", { query: { ...query, limit: 100 } });
export const verifyAuditChain = () => call<T.AuditChainReport>("GET", "/audit/verify");
