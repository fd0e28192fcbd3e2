//! GPU figures from NVML: a row in `gpu_stats` and Prometheus gauges every interval,
//! while the detector runs on CUDA. Where NVML is absent (no NVIDIA driver) sampling is
//! off, said once in the log.

use chrono::Utc;
use hsi_db::entities::gpu_stats;
use nvml_wrapper::enum_wrappers::device::{
    Clock, PcieUtilCounter, TemperatureSensor, TemperatureThreshold,
};
use nvml_wrapper::Nvml;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, NotSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// One sample of a GPU, in the units `gpu_stats` stores (MB, W, °C, MHz, %).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpuSample {
    pub name: Option<String>,
    pub utilization: Option<f64>,
    pub memory_used_mb: Option<i32>,
    pub memory_total_mb: Option<i32>,
    pub temperature: Option<f64>,
    pub power_w: Option<f64>,
    pub fan_speed: Option<i32>,
    pub sm_clock: Option<i32>,
    pub memory_bandwidth_utilization: Option<f64>,
    pub pstate: Option<i32>,
    pub throttle_reasons: Option<i32>,
    pub power_limit_w: Option<f64>,
    pub sm_clock_max: Option<i32>,
    pub compute_processes: Option<i32>,
    pub pcie_replay_counter: Option<i32>,
    pub temp_slowdown_threshold: Option<f64>,
    pub memory_clock: Option<i32>,
    pub memory_clock_max: Option<i32>,
    pub pcie_link_gen: Option<i32>,
    pub pcie_link_width: Option<i32>,
    pub pcie_tx_kbps: Option<i32>,
    pub pcie_rx_kbps: Option<i32>,
    pub encoder_utilization: Option<i32>,
    pub decoder_utilization: Option<i32>,
    pub bar1_used_mb: Option<i32>,
}

fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn mb(bytes: u64) -> i32 {
    i32::try_from(bytes / (1024 * 1024)).unwrap_or(i32::MAX)
}

/// Reads every figure the device offers; one a driver does not support stays unset.
pub fn sample(device: &nvml_wrapper::Device<'_>) -> GpuSample {
    let utilization = device.utilization_rates().ok();
    let memory = device.memory_info().ok();
    GpuSample {
        name: device.name().ok(),
        utilization: utilization.as_ref().map(|u| f64::from(u.gpu)),
        memory_bandwidth_utilization: utilization.as_ref().map(|u| f64::from(u.memory)),
        memory_used_mb: memory.as_ref().map(|m| mb(m.used)),
        memory_total_mb: memory.as_ref().map(|m| mb(m.total)),
        temperature: device
            .temperature(TemperatureSensor::Gpu)
            .ok()
            .map(f64::from),
        power_w: device.power_usage().ok().map(|mw| f64::from(mw) / 1000.0),
        power_limit_w: device
            .enforced_power_limit()
            .ok()
            .map(|mw| f64::from(mw) / 1000.0),
        fan_speed: device.fan_speed(0).ok().map(int),
        sm_clock: device.clock_info(Clock::SM).ok().map(int),
        sm_clock_max: device.max_clock_info(Clock::SM).ok().map(int),
        memory_clock: device.clock_info(Clock::Memory).ok().map(int),
        memory_clock_max: device.max_clock_info(Clock::Memory).ok().map(int),
        pstate: device
            .performance_state()
            .ok()
            .map(|p| i32::try_from(p.as_c()).unwrap_or(-1)),
        throttle_reasons: device
            .current_throttle_reasons()
            .ok()
            .map(|r| i32::try_from(r.bits() & 0x7fff_ffff).unwrap_or(0)),
        compute_processes: device.running_compute_processes_count().ok().map(int),
        pcie_replay_counter: device.pcie_replay_counter().ok().map(int),
        temp_slowdown_threshold: device
            .temperature_threshold(TemperatureThreshold::Slowdown)
            .ok()
            .map(f64::from),
        pcie_link_gen: device.current_pcie_link_gen().ok().map(int),
        pcie_link_width: device.current_pcie_link_width().ok().map(int),
        pcie_tx_kbps: device.pcie_throughput(PcieUtilCounter::Send).ok().map(int),
        pcie_rx_kbps: device
            .pcie_throughput(PcieUtilCounter::Receive)
            .ok()
            .map(int),
        encoder_utilization: device
            .encoder_utilization()
            .ok()
            .map(|u| int(u.utilization)),
        decoder_utilization: device
            .decoder_utilization()
            .ok()
            .map(|u| int(u.utilization)),
        bar1_used_mb: device.bar1_memory_info().ok().map(|b| mb(b.used)),
    }
}

/// Writes a sample, with the detector's throughput over the interval.
pub async fn record(
    db: &DatabaseConnection,
    sample: &GpuSample,
    inference_fps: f64,
) -> Result<(), DbErr> {
    let row = gpu_stats::ActiveModel {
        id: NotSet,
        recorded_at: Set(Utc::now()),
        gpu_name: Set(sample.name.clone()),
        gpu_utilization: Set(sample.utilization),
        memory_used: Set(sample.memory_used_mb),
        memory_total: Set(sample.memory_total_mb),
        temperature: Set(sample.temperature),
        power_usage: Set(sample.power_w),
        inference_fps: Set(Some(inference_fps)),
        fan_speed: Set(sample.fan_speed),
        sm_clock: Set(sample.sm_clock),
        memory_bandwidth_utilization: Set(sample.memory_bandwidth_utilization),
        pstate: Set(sample.pstate),
        throttle_reasons: Set(sample.throttle_reasons),
        power_limit: Set(sample.power_limit_w),
        sm_clock_max: Set(sample.sm_clock_max),
        compute_processes_count: Set(sample.compute_processes),
        pcie_replay_counter: Set(sample.pcie_replay_counter),
        temp_slowdown_threshold: Set(sample.temp_slowdown_threshold),
        memory_clock: Set(sample.memory_clock),
        memory_clock_max: Set(sample.memory_clock_max),
        pcie_link_gen: Set(sample.pcie_link_gen),
        pcie_link_width: Set(sample.pcie_link_width),
        pcie_tx_throughput: Set(sample.pcie_tx_kbps),
        pcie_rx_throughput: Set(sample.pcie_rx_kbps),
        encoder_utilization: Set(sample.encoder_utilization),
        decoder_utilization: Set(sample.decoder_utilization),
        bar1_used: Set(sample.bar1_used_mb),
    };
    gpu_stats::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

fn export(sample: &GpuSample, inference_fps: f64) {
    let gauge = |name: &'static str, value: Option<f64>| {
        if let Some(value) = value {
            metrics::gauge!(name).set(value);
        }
    };
    gauge("hsi_gpu_utilization_percent", sample.utilization);
    gauge(
        "hsi_gpu_memory_used_megabytes",
        sample.memory_used_mb.map(f64::from),
    );
    gauge(
        "hsi_gpu_memory_total_megabytes",
        sample.memory_total_mb.map(f64::from),
    );
    gauge("hsi_gpu_temperature_celsius", sample.temperature);
    gauge("hsi_gpu_power_watts", sample.power_w);
    gauge("hsi_gpu_sm_clock_megahertz", sample.sm_clock.map(f64::from));
    gauge("hsi_detector_images_per_second", Some(inference_fps));
}

/// Starts sampling CUDA device `index` every `interval`, counting throughput from
/// `images_processed`; `None` when NVML cannot be loaded here.
pub fn spawn_sampler(
    db: DatabaseConnection,
    index: u32,
    interval: Duration,
    images_processed: Arc<dyn Fn() -> u64 + Send + Sync>,
    shutdown: CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    let nvml = match Nvml::init() {
        Ok(nvml) => nvml,
        Err(err) => {
            tracing::info!(error = %err, "nvml unavailable, gpu statistics are off");
            return None;
        }
    };
    Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        let (mut last_count, mut last_at) = (images_processed(), Instant::now());
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = ticker.tick() => {}
            }
            let count = images_processed();
            let fps = (count - last_count) as f64 / last_at.elapsed().as_secs_f64().max(1e-3);
            (last_count, last_at) = (count, Instant::now());
            let Ok(device) = nvml.device_by_index(index) else {
                tracing::warn!(index, "nvml has no such device, gpu statistics are off");
                break;
            };
            let sample = sample(&device);
            export(&sample, fps);
            if let Err(err) = record(&db, &sample, fps).await {
                tracing::warn!(error = %err, "could not record gpu statistics");
            }
        }
    }))
}
