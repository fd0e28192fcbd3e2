//! `prompt_versions`: the version history of model prompt configurations.

// DeriveEntityModel expands an active-enum field to `std::convert::Into::<..>::into(..)`
// spanned at the field, which the workspace's `unused_qualifications` lint flags.
#![allow(unused_qualifications)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::entities::enums::AiModel;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "prompt_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub model: AiModel,
    pub version: i32,
    pub created_at: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub created_by: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub config_json: String,
    #[sea_orm(column_type = "Text")]
    pub change_description: Option<String>,
    pub is_active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
