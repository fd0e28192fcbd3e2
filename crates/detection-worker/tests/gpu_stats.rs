//! GPU statistics: what a sample becomes in `gpu_stats`, written with the detection
//! worker's own role; and a machine without an NVIDIA driver turning sampling off.
//! (Real NVML readings need an NVIDIA GPU, which this suite cannot assume.)

use hsi_core::Service;
use hsi_db::entities::gpu_stats;
use hsi_detection_worker::gpu_stats::{record, spawn_sampler, GpuSample};
use hsi_testkit::TestDatabase;
use sea_orm::EntityTrait;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_sample_is_recorded_with_every_figure() {
    let db = TestDatabase::migrated().await;
    let worker = db.connect_as(Service::DetectionWorker).await;
    let sample = GpuSample {
        name: Some("NVIDIA H100 80GB HBM3".into()),
        utilization: Some(87.0),
        memory_used_mb: Some(10_240),
        memory_total_mb: Some(81_559),
        temperature: Some(54.0),
        power_w: Some(312.5),
        sm_clock: Some(1_980),
        pstate: Some(0),
        pcie_link_gen: Some(5),
        pcie_link_width: Some(16),
        bar1_used_mb: Some(12),
        ..GpuSample::default()
    };
    record(&worker, &sample, 412.5)
        .await
        .expect("the worker role may insert gpu_stats");
    let rows = gpu_stats::Entity::find().all(&db.conn).await.expect("rows");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.gpu_name.as_deref(), Some("NVIDIA H100 80GB HBM3"));
    assert_eq!(
        (row.gpu_utilization, row.memory_used, row.memory_total),
        (Some(87.0), Some(10_240), Some(81_559))
    );
    assert_eq!(
        (row.temperature, row.power_usage, row.inference_fps),
        (Some(54.0), Some(312.5), Some(412.5))
    );
    assert_eq!(
        (
            row.sm_clock,
            row.pstate,
            row.pcie_link_gen,
            row.pcie_link_width
        ),
        (Some(1_980), Some(0), Some(5), Some(16))
    );
    assert_eq!(
        (row.fan_speed, row.bar1_used),
        (None, Some(12)),
        "unsupported figures stay empty"
    );
}

#[tokio::test]
async fn sampling_is_off_where_nvml_cannot_be_loaded() {
    let db = TestDatabase::migrated().await;
    let stop = CancellationToken::new();
    let sampler = spawn_sampler(
        db.conn.clone(),
        0,
        Duration::from_millis(50),
        Arc::new(|| 0),
        stop.clone(),
    );
    match nvml_wrapper::Nvml::init() {
        Err(_) => assert!(sampler.is_none(), "no NVML, no sampler"),
        Ok(_) => {
            // On a machine with a driver the sampler runs and records.
            tokio::time::sleep(Duration::from_millis(200)).await;
            stop.cancel();
            sampler.expect("a sampler").await.expect("stops");
            assert!(!gpu_stats::Entity::find()
                .all(&db.conn)
                .await
                .expect("rows")
                .is_empty());
        }
    }
}
