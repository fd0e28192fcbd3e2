//! `event_audits`: quality audit of the analysis behind an event.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "event_audits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub event_id: i32,
    pub audited_at: DateTimeUtc,
    pub has_yolo26: bool,
    pub has_florence: bool,
    pub has_clip: bool,
    pub has_violence: bool,
    pub has_clothing: bool,
    pub has_vehicle: bool,
    pub has_pet: bool,
    pub has_weather: bool,
    pub has_image_quality: bool,
    pub has_zones: bool,
    pub has_baseline: bool,
    pub has_cross_camera: bool,
    pub prompt_length: i32,
    pub prompt_token_estimate: i32,
    pub enrichment_utilization: f64,
    pub context_usage_score: Option<f64>,
    pub reasoning_coherence_score: Option<f64>,
    pub risk_justification_score: Option<f64>,
    pub consistency_score: Option<f64>,
    pub overall_quality_score: Option<f64>,
    pub consistency_risk_score: Option<i32>,
    pub consistency_diff: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub self_eval_critique: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub self_eval_prompt: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub self_eval_response: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub missing_context: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub confusing_sections: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub unused_data: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub format_suggestions: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub model_gaps: Option<String>,
    pub is_fallback: bool,
    #[sea_orm(column_type = "Text")]
    pub fallback_reason: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub llm_model: Option<String>,
    pub prompt_version: Option<i32>,
    pub llm_latency_ms: Option<i32>,
    pub llm_prompt_tokens: Option<i32>,
    pub llm_completion_tokens: Option<i32>,
    /// The worker's own score of the evidence (0-100) before any LLM adjustment.
    pub evidence_score: Option<i32>,
    /// The factors behind `evidence_score`, each with its weight.
    #[sea_orm(column_type = "JsonBinary")]
    pub evidence: Option<Json>,
    /// The score the LLM proposed, before it was bounded.
    pub llm_proposed_score: Option<i32>,
    /// What the LLM moved the evidence score by (bounded by `llm.max_adjustment`).
    pub llm_adjustment: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub adjustment_reason: Option<String>,
    /// How the reply schema was enforced (`llama_cpp_python/json_object+schema`, ...).
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub structured_output: Option<String>,
    /// `provisional` while a fast-path event awaits its judgement, then `final`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub stage: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::entities::events::Entity",
        from = "Column::EventId",
        to = "crate::entities::events::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Events,
}

impl Related<crate::entities::events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Events.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
