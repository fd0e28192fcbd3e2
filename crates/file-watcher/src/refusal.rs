//! Why a file is not enqueued.

/// A file the watcher will not enqueue; [`Refusal::reason`] is its metric label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("file is not inside a camera folder")]
    NotInCameraFolder,
    #[error("camera folder name {0:?} has no ascii letter or digit")]
    BadCameraFolder(String),
    #[error("extension {0:?} is not an accepted image or video type")]
    UnknownExtension(String),
    #[error("not a regular file")]
    NotRegularFile,
    #[error("symlink points outside the camera root")]
    SymlinkOutsideRoot,
    #[error("file is empty")]
    Empty,
    #[error("{size} bytes is below the minimum of {min}")]
    TooSmall { size: u64, min: u64 },
    #[error("{size} bytes is above the maximum of {max}")]
    TooLarge { size: u64, max: u64 },
    #[error("image cannot be decoded: {0}")]
    UndecodableImage(String),
    #[error("image is incomplete: no {0} at its end")]
    IncompleteImage(&'static str),
    #[error("not a video: {0}")]
    NotAVideo(String),
    #[error("video probe failed: {0}")]
    ProbeFailed(String),
    #[error("file cannot be read: {0}")]
    Unreadable(String),
    #[error("file disappeared before it could be checked")]
    Vanished,
    #[error("camera is deleted")]
    CameraDeleted,
    #[error("camera cannot be recorded: {0}")]
    CameraNotRecorded(String),
}

impl Refusal {
    /// The `reason` label of `hsi_files_refused_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotInCameraFolder => "not_in_camera_folder",
            Self::BadCameraFolder(_) => "bad_camera_folder",
            Self::UnknownExtension(_) => "unknown_extension",
            Self::NotRegularFile => "not_regular_file",
            Self::SymlinkOutsideRoot => "symlink_outside_root",
            Self::Empty => "empty",
            Self::TooSmall { .. } => "too_small",
            Self::TooLarge { .. } => "too_large",
            Self::UndecodableImage(_) => "undecodable_image",
            Self::IncompleteImage(_) => "incomplete_image",
            Self::NotAVideo(_) => "not_a_video",
            Self::ProbeFailed(_) => "probe_failed",
            Self::Unreadable(_) => "unreadable",
            Self::Vanished => "vanished",
            Self::CameraDeleted => "camera_deleted",
            Self::CameraNotRecorded(_) => "camera_not_recorded",
        }
    }
}

impl From<hsi_core::video_probe::ProbeError> for Refusal {
    fn from(err: hsi_core::video_probe::ProbeError) -> Self {
        use hsi_core::video_probe::ProbeError;
        match err {
            ProbeError::NotAVideo(reason) => Self::NotAVideo(reason),
            ProbeError::Tool(reason) => Self::ProbeFailed(reason),
            output @ ProbeError::Output(_) => Self::ProbeFailed(output.to_string()),
        }
    }
}
