//! `gpu_stats`: periodic GPU telemetry samples.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "gpu_stats")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub recorded_at: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub gpu_name: Option<String>,
    pub gpu_utilization: Option<f64>,
    pub memory_used: Option<i32>,
    pub memory_total: Option<i32>,
    pub temperature: Option<f64>,
    pub power_usage: Option<f64>,
    pub inference_fps: Option<f64>,
    pub fan_speed: Option<i32>,
    pub sm_clock: Option<i32>,
    pub memory_bandwidth_utilization: Option<f64>,
    pub pstate: Option<i32>,
    pub throttle_reasons: Option<i32>,
    pub power_limit: Option<f64>,
    pub sm_clock_max: Option<i32>,
    pub compute_processes_count: Option<i32>,
    pub pcie_replay_counter: Option<i32>,
    pub temp_slowdown_threshold: Option<f64>,
    pub memory_clock: Option<i32>,
    pub memory_clock_max: Option<i32>,
    pub pcie_link_gen: Option<i32>,
    pub pcie_link_width: Option<i32>,
    pub pcie_tx_throughput: Option<i32>,
    pub pcie_rx_throughput: Option<i32>,
    pub encoder_utilization: Option<i32>,
    pub decoder_utilization: Option<i32>,
    pub bar1_used: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
