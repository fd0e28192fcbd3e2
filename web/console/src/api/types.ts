// The JSON shapes of the gateway's REST API: the messages of proto/hsi/v1/api/*.proto
// with their snake_case field names. Responses carry every field (an absent optional is
// null); request bodies must carry only fields their message has (the gateway refuses
// unknown ones), so the request types below list exactly those.

export type Maybe<T> = T | null | undefined;

export type Scope = "read" | "operator" | "admin";
export type RiskLevel = "low" | "medium" | "high" | "critical";
export const RISK_LEVELS: RiskLevel[] = ["low", "medium", "high", "critical"];

export interface ErrorBody {
  error: { code: string; message: string; field?: Maybe<string> };
}

// --- events.proto -------------------------------------------------------------------

export interface Event {
  id: number;
  batch_id: string;
  camera_id: string;
  camera_name: string;
  started_at: string;
  ended_at?: Maybe<string>;
  risk_score?: Maybe<number>;
  risk_level?: Maybe<string>;
  summary?: Maybe<string>;
  reasoning?: Maybe<string>;
  object_types: string[];
  detection_ids: number[];
  reviewed: boolean;
  notes?: Maybe<string>;
  is_fast_path: boolean;
  clip_path?: Maybe<string>;
  deleted_at?: Maybe<string>;
}

/** The filters ListEvents and SearchEvents share (query parameters). */
export interface EventFilters {
  camera_ids?: string[];
  risk_levels?: string[];
  min_score?: number;
  max_score?: number;
  start_time?: string;
  end_time?: string;
  reviewed?: boolean;
  object_types?: string[];
  is_fast_path?: boolean;
  include_deleted?: boolean;
}

export interface ListEventsRequest extends EventFilters {
  cursor?: string;
  limit?: number;
}

export interface SearchEventsRequest extends ListEventsRequest {
  q: string;
}

export interface ListEventsResponse {
  events: Event[];
  next_cursor: string;
  has_more: boolean;
}

export interface EventSearchHit {
  event: Maybe<Event>;
  rank: number;
  summary_highlight: string;
  reasoning_highlight: string;
}

export interface SearchEventsResponse {
  hits: EventSearchHit[];
  next_cursor: string;
  has_more: boolean;
}

export interface EventAudit {
  audited_at: string;
  prompt_version?: Maybe<number>;
  llm_model?: Maybe<string>;
  is_fallback: boolean;
  fallback_reason?: Maybe<string>;
  llm_latency_ms?: Maybe<number>;
  llm_prompt_tokens?: Maybe<number>;
  llm_completion_tokens?: Maybe<number>;
  evidence_score?: Maybe<number>;
  llm_proposed_score?: Maybe<number>;
  llm_adjustment?: Maybe<number>;
  adjustment_reason?: Maybe<string>;
  structured_output?: Maybe<string>;
  stage?: string;
}

export interface EventAlert {
  id: string;
  rule_id?: Maybe<string>;
  severity: string;
  status: string;
  created_at: string;
  delivered_at?: Maybe<string>;
  dedup_key: string;
  revision?: number;
  withdrawn_at?: Maybe<string>;
}

export interface EventDetail {
  event: Maybe<Event>;
  detections: Detection[];
  audit?: Maybe<EventAudit>;
  alerts: EventAlert[];
}

export interface ReviewEventRequest {
  reviewed?: boolean;
  notes?: string;
}

export interface WatchEventsResponse {
  event?: Maybe<Event>;
  alerts: EventAlert[];
}

// --- detections.proto ---------------------------------------------------------------

export interface Detection {
  id: number;
  camera_id: string;
  file_path: string;
  file_type?: Maybe<string>;
  detected_at: string;
  object_type?: Maybe<string>;
  confidence?: Maybe<number>;
  bbox_x?: Maybe<number>;
  bbox_y?: Maybe<number>;
  bbox_width?: Maybe<number>;
  bbox_height?: Maybe<number>;
  frame_width?: Maybe<number>;
  frame_height?: Maybe<number>;
  thumbnail_path?: Maybe<string>;
  media_type?: Maybe<string>;
  duration?: Maybe<number>;
  frame_offset?: Maybe<number>;
  event_id?: Maybe<number>;
}

export interface DetectedObjectBox {
  object_type: string;
  confidence: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectNowResponse {
  objects: DetectedObjectBox[];
  image_width: number;
  image_height: number;
  inference_ms: number;
}

// --- feedback.proto -----------------------------------------------------------------

export type FeedbackType = "correct" | "false_positive" | "missed_threat" | "severity_wrong";

export interface EventFeedback {
  id: number;
  event_id: number;
  feedback_type: FeedbackType;
  expected_severity?: Maybe<string>;
  notes?: Maybe<string>;
  created_at: string;
}

export interface SubmitEventFeedbackRequest {
  feedback_type: FeedbackType;
  expected_severity?: string;
  notes?: string;
}

export interface CameraFeedbackStats {
  camera_id: string;
  camera_name: string;
  correct: number;
  false_positive: number;
  missed_threat: number;
  severity_wrong: number;
  total: number;
  false_positive_rate: number;
}

export interface FeedbackStats {
  cameras: CameraFeedbackStats[];
  overall?: Maybe<CameraFeedbackStats>;
}

// --- alerts.proto -------------------------------------------------------------------

export interface AlertDeliveryState {
  state: string;
  attempts: number;
  next_attempt_at?: Maybe<string>;
  last_error?: Maybe<string>;
  delivered_at?: Maybe<string>;
}

export interface AlertChannel {
  index: number;
  type: string;
  target: string;
}

export interface Alert {
  id: string;
  event_id: number;
  camera_id: string;
  rule_id?: Maybe<string>;
  rule_name?: Maybe<string>;
  severity: string;
  status: string;
  dedup_key: string;
  summary?: Maybe<string>;
  risk_score?: Maybe<number>;
  created_at: string;
  updated_at: string;
  version_id: number;
  delivery?: Maybe<AlertDeliveryState>;
  channels: AlertChannel[];
}

export interface ListAlertsRequest {
  status?: string;
  severity?: string;
  event_id?: number;
  rule_id?: string;
  camera_id?: string;
  start?: string;
  end?: string;
  limit?: number;
  cursor?: string;
}

export interface ListAlertsResponse {
  alerts: Alert[];
  next_cursor: string;
  has_more: boolean;
}

export interface AlertDelivery {
  id: number;
  attempt: number;
  channel_index: number;
  channel_type: string;
  target: string;
  started_at: string;
  finished_at: string;
  outcome: string;
  requests: number;
  http_status?: Maybe<number>;
  error?: Maybe<string>;
}

export interface ListAlertDeliveriesResponse {
  deliveries: AlertDelivery[];
  outbox?: Maybe<AlertDeliveryState>;
  next_cursor: string;
  has_more: boolean;
}

// --- cameras.proto and zones.proto --------------------------------------------------

export interface Camera {
  id: string;
  name: string;
  folder_path: string;
  status: string;
  created_at: string;
  last_seen_at?: Maybe<string>;
  deleted_at?: Maybe<string>;
  event_count: number;
  unreviewed_event_count: number;
  last_event_at?: Maybe<string>;
}

export interface UpdateCameraRequest {
  name?: string;
  status?: string;
}

export interface ZonePoint {
  x: number;
  y: number;
}

export type ZoneShape = "rectangle" | "polygon";
export const ZONE_TYPES = ["entry_point", "driveway", "sidewalk", "yard", "other"] as const;

export interface Zone {
  id: string;
  camera_id: string;
  name: string;
  zone_type: string;
  shape: ZoneShape;
  points: ZonePoint[];
  color: string;
  enabled: boolean;
  priority: number;
  created_at: string;
  updated_at: string;
}

export interface CreateZoneRequest {
  camera_id: string;
  name: string;
  zone_type?: string;
  shape: ZoneShape;
  points: ZonePoint[];
  color?: string;
  enabled?: boolean;
  priority?: number;
}

export interface UpdateZoneRequest {
  name?: string;
  zone_type?: string;
  shape?: ZoneShape;
  points?: ZonePoint[];
  color?: string;
  enabled?: boolean;
  priority?: number;
}

// --- rules.proto --------------------------------------------------------------------

export interface RuleSchedule {
  days: string[];
  start_time?: Maybe<string>;
  end_time?: Maybe<string>;
  timezone?: Maybe<string>;
}

export interface RuleChannelHeader {
  name: string;
  value: string;
}

export interface RuleChannel {
  type: string;
  url: string;
  headers: RuleChannelHeader[];
  timeout_ms?: Maybe<number>;
  name?: Maybe<string>;
}

/** What a rule is; the body of create and update, and the `rule` of a test. */
export interface AlertRuleDraft {
  name: string;
  description?: string;
  enabled?: boolean;
  severity: string;
  risk_threshold?: number;
  object_types: string[];
  camera_ids: string[];
  zone_ids: string[];
  min_confidence?: number;
  schedule?: { days: string[]; start_time?: string; end_time?: string; timezone?: string };
  dedup_key_template?: string;
  cooldown_seconds?: number;
  channels: { type: string; url: string; headers: RuleChannelHeader[]; timeout_ms?: number; name?: string }[];
}

export interface AlertRule {
  id: string;
  name: string;
  description?: Maybe<string>;
  enabled: boolean;
  severity: string;
  risk_threshold?: Maybe<number>;
  object_types: string[];
  camera_ids: string[];
  zone_ids: string[];
  min_confidence?: Maybe<number>;
  schedule?: Maybe<RuleSchedule>;
  dedup_key_template: string;
  cooldown_seconds: number;
  channels: RuleChannel[];
  created_at: string;
  updated_at: string;
}

export interface RuleTestFailure {
  condition: string;
  message: string;
}

export interface RuleTestResult {
  event_id: number;
  camera_id: string;
  started_at: string;
  risk_score: number;
  would_fire: boolean;
  failures: RuleTestFailure[];
  matched_object_type?: Maybe<string>;
  matched_confidence?: Maybe<number>;
  matched_zone_id?: Maybe<string>;
  dedup_key?: Maybe<string>;
  suppressed_by_event_id?: Maybe<number>;
}

export interface TestAlertRuleResponse {
  results: RuleTestResult[];
  events_tested: number;
  would_fire: number;
}

// --- keys.proto ---------------------------------------------------------------------

export interface ApiKey {
  id: number;
  name: string;
  scope: Scope;
  key_id: string;
  created_at: string;
  last_used_at?: Maybe<string>;
  revoked_at?: Maybe<string>;
  created_by?: Maybe<string>;
}

export interface CreatedApiKey {
  key: Maybe<ApiKey>;
  secret: string;
}

// --- prompts.proto ------------------------------------------------------------------

export const PROMPT_MODELS = ["nemotron", "florence2", "yolo_world", "xclip", "fashion_clip"];

export interface PromptConfig {
  model: string;
  system_prompt: string;
  temperature: number;
  max_tokens: number;
  version: number;
  updated_at: string;
  created_by?: Maybe<string>;
  change_description?: Maybe<string>;
}

export interface UpdatePromptRequest {
  system_prompt?: string;
  temperature?: number;
  max_tokens?: number;
  change_description?: string;
}

export interface PromptVersion {
  version: number;
  is_active: boolean;
  created_at: string;
  created_by?: Maybe<string>;
  change_description?: Maybe<string>;
  system_prompt: string;
  temperature?: Maybe<number>;
  max_tokens?: Maybe<number>;
}

export interface ListPromptVersionsResponse {
  versions: PromptVersion[];
  next_cursor: string;
  has_more: boolean;
}

export interface PromptDiff {
  model: string;
  from_version: number;
  to_version: number;
  system_prompt_diff: string;
  changes: { field: string; from?: Maybe<string>; to?: Maybe<string> }[];
}

export interface EventJudgement {
  event_id: number;
  risk_score: number;
  risk_level: string;
  summary: string;
  reasoning: string;
  is_fallback: boolean;
  fallback_reason?: Maybe<string>;
  model: string;
  prompt_version: number;
  latency_ms: number;
}

// --- notifications.proto ------------------------------------------------------------

export const SOUNDS = ["none", "default", "alert", "chime", "urgent"];

export interface NotificationPreferences {
  enabled: boolean;
  sound: string;
  risk_filters: string[];
}

export interface UpdateNotificationPreferencesRequest {
  enabled?: boolean;
  sound?: string;
  risk_filters?: string[];
}

export interface CameraNotificationSetting {
  id: string;
  camera_id: string;
  camera_name: string;
  enabled: boolean;
  risk_threshold: number;
}

export interface QuietHoursPeriod {
  id: string;
  label: string;
  start_time: string;
  end_time: string;
  days: string[];
}

export interface QuietHoursBody {
  label?: string;
  start_time?: string;
  end_time?: string;
  days?: string[];
}

// --- system.proto -------------------------------------------------------------------

export interface SystemHealth {
  status: string;
  components: { name: string; status: string; detail: string; latency_ms?: Maybe<number> }[];
  checked_at: string;
}

export interface QueueStreamStats {
  stream: string;
  group?: Maybe<string>;
  length: number;
  pending: number;
  dead_letters: number;
  consumers: number;
  busy_consumers: number;
  idle_ms?: Maybe<number>;
}

export interface QueueDeadLetter {
  id: string;
  stream: string;
  source_id: string;
  error: string;
  deliveries: number;
  consumer: string;
  failed_at?: Maybe<string>;
  message_type: string;
  payload_bytes: number;
  decoded: boolean;
  payload_text: string;
}

export interface ListDeadLettersResponse {
  dead_letters: QueueDeadLetter[];
  next_cursor: string;
  has_more: boolean;
}

export interface RefusedFile {
  id: number;
  camera_id?: Maybe<string>;
  path: string;
  state: string;
  reason: string;
  detail?: Maybe<string>;
  size_bytes: number;
  media_kind?: Maybe<string>;
  recorded_at: string;
  updated_at: string;
}

export interface ListRefusedFilesResponse {
  files: RefusedFile[];
  next_cursor: string;
  has_more: boolean;
}

export interface GpuStatsSample {
  recorded_at: string;
  gpu_name?: Maybe<string>;
  gpu_utilization?: Maybe<number>;
  memory_used_mb?: Maybe<number>;
  memory_total_mb?: Maybe<number>;
  temperature_c?: Maybe<number>;
  power_w?: Maybe<number>;
  inference_fps?: Maybe<number>;
}

export interface PipelineLatencyStage {
  stage: string;
  description: string;
  count: number;
  p50_ms?: Maybe<number>;
  p95_ms?: Maybe<number>;
  p99_ms?: Maybe<number>;
  max_ms?: Maybe<number>;
}

export interface PipelineLatency {
  since: string;
  until: string;
  stages: PipelineLatencyStage[];
}

export interface SystemVersion {
  version: string;
  git_commit: string;
  schema_migration?: Maybe<string>;
  uptime_seconds: number;
  started_at: string;
}

// --- audit.proto --------------------------------------------------------------------

export interface AuditLog {
  seq: number;
  timestamp: string;
  action: string;
  resource_type: string;
  resource_id?: Maybe<string>;
  actor: string;
  ip_address?: Maybe<string>;
  user_agent?: Maybe<string>;
  details?: Maybe<string>;
  status: string;
  prev_hash: string;
  row_hash: string;
}

export interface ListAuditLogsResponse {
  entries: AuditLog[];
  next_cursor: string;
  has_more: boolean;
}

export interface AuditChainReport {
  intact: boolean;
  rows_checked: number;
  first_broken_seq?: Maybe<number>;
  reason?: Maybe<string>;
}
