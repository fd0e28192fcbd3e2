//! The five services and the PostgreSQL role each connects as.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One of HSI's services; each owns a slice of the schema and has its own role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    FileWatcher,
    DetectionWorker,
    BatchAggregator,
    AnalysisWorker,
    Gateway,
}

impl Service {
    /// Every service, in pipeline order.
    pub const ALL: [Service; 5] = [
        Self::FileWatcher,
        Self::DetectionWorker,
        Self::BatchAggregator,
        Self::AnalysisWorker,
        Self::Gateway,
    ];

    /// The service's name in logs, metrics and consumer names.
    pub fn name(self) -> &'static str {
        match self {
            Self::FileWatcher => "file-watcher",
            Self::DetectionWorker => "detection-worker",
            Self::BatchAggregator => "batch-aggregator",
            Self::AnalysisWorker => "analysis-worker",
            Self::Gateway => "api-gateway",
        }
    }

    /// The service's binary, which also names it in exported traces (`service.name`).
    pub fn binary(self) -> &'static str {
        match self {
            Self::FileWatcher => "hsi-file-watcher",
            Self::DetectionWorker => "hsi-detection-worker",
            Self::BatchAggregator => "hsi-batch-aggregator",
            Self::AnalysisWorker => "hsi-analysis-worker",
            Self::Gateway => "hsi-gateway",
        }
    }

    /// The PostgreSQL role the service connects as; its grants enforce ownership.
    pub fn database_role(self) -> &'static str {
        match self {
            Self::FileWatcher => "hsi_file_watcher",
            Self::DetectionWorker => "hsi_detection_worker",
            Self::BatchAggregator => "hsi_batch_aggregator",
            Self::AnalysisWorker => "hsi_analysis_worker",
            Self::Gateway => "hsi_gateway",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
