//! `camera_zones`: named regions drawn on a camera's view.

// DeriveEntityModel expands an active-enum field to `std::convert::Into::<..>::into(..)`
// spanned at the field, which the workspace's `unused_qualifications` lint flags.
#![allow(unused_qualifications)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::entities::enums::{CameraZoneShape, CameraZoneType};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "camera_zones")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(100))"
    )]
    pub id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub camera_id: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    pub zone_type: CameraZoneType,
    #[sea_orm(column_type = "JsonBinary")]
    pub coordinates: Json,
    pub shape: CameraZoneShape,
    #[sea_orm(column_type = "String(StringLen::N(7))")]
    pub color: String,
    pub enabled: bool,
    pub priority: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::entities::cameras::Entity",
        from = "Column::CameraId",
        to = "crate::entities::cameras::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Cameras,
}

impl Related<crate::entities::cameras::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cameras.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
