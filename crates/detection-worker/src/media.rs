//! Reading uploads into frames: images are decoded; videos are probed and sampled with
//! the system's ffprobe and ffmpeg.

use crate::settings::WorkerSettings;
use image::DynamicImage;
use std::path::Path;
use std::time::Duration;
use tokio::process::Command;

/// A frame to run the detector on.
#[derive(Debug)]
pub struct Frame {
    pub image: DynamicImage,
    /// 0 for a still; the sample's place in a video otherwise.
    pub index: i32,
    /// Seconds from the start of the video (0 for a still).
    pub offset_secs: f64,
}

/// What is recorded about the media besides the frames.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaInfo {
    pub is_video: bool,
    pub duration_secs: Option<f64>,
    pub codec: Option<String>,
    pub width: u32,
    pub height: u32,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{path} no longer exists")]
    Vanished { path: String },
    #[error("{path} is not a readable image: {reason}")]
    BadImage { path: String, reason: String },
    #[error("{path} is not a readable video: {reason}")]
    BadVideo { path: String, reason: String },
    #[error("{tool} failed on {path}: {reason}")]
    Tool {
        tool: String,
        path: String,
        reason: String,
    },
}

impl MediaError {
    /// True when retrying might help (a tool crashed or timed out); false when the file
    /// itself is the problem.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Tool { .. })
    }
}

/// Decodes a still image, refusing decompression bombs.
pub async fn load_image(
    path: &Path,
    max_pixels: u64,
) -> Result<(Vec<Frame>, MediaInfo), MediaError> {
    let owned = path.to_path_buf();
    let display = path.display().to_string();
    let decoded = tokio::task::spawn_blocking(move || {
        let mut reader = image::ImageReader::open(&owned)?.with_guessed_format()?;
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(max_pixels.saturating_mul(4));
        reader.limits(limits);
        reader.decode()
    })
    .await
    .map_err(|err| MediaError::BadImage {
        path: display.clone(),
        reason: err.to_string(),
    })?;
    let image = decoded.map_err(|err| match err {
        image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::NotFound => {
            MediaError::Vanished {
                path: display.clone(),
            }
        }
        other => MediaError::BadImage {
            path: display.clone(),
            reason: other.to_string(),
        },
    })?;
    let info = MediaInfo {
        is_video: false,
        width: image.width(),
        height: image.height(),
        ..MediaInfo::default()
    };
    Ok((
        vec![Frame {
            image,
            index: 0,
            offset_secs: 0.0,
        }],
        info,
    ))
}

/// Probes a clip and samples one frame every `video_frame_interval_secs`, at most
/// `video_max_frames`.
pub async fn load_video(
    path: &Path,
    settings: &WorkerSettings,
) -> Result<(Vec<Frame>, MediaInfo), MediaError> {
    let display = path.display().to_string();
    if !path.exists() {
        return Err(MediaError::Vanished { path: display });
    }
    let info = probe(path, settings).await?;
    let workdir = tempfile::tempdir().map_err(|err| tool_error("ffmpeg", &display, err))?;
    let pattern = workdir.path().join("frame_%05d.png");
    // `select` keeps the first frame and then the first one at least `interval` after the
    // previously kept one; unlike the fps filter it never drops the tail of a short clip.
    // showinfo reports each kept frame's real timestamp.
    let interval = settings.video_frame_interval_secs;
    let filter =
        format!("select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{interval})',showinfo");
    let output = run_tool(
        &settings.ffmpeg,
        Command::new(&settings.ffmpeg)
            .args(["-nostdin", "-hide_banner", "-loglevel", "info", "-i"])
            .arg(hsi_core::video_probe::file_url(path))
            .args([
                "-vf",
                &filter,
                "-fps_mode",
                "vfr",
                "-frames:v",
                &settings.video_max_frames.to_string(),
            ])
            .arg(&pattern),
        &display,
        settings.media_timeout_secs,
    )
    .await?;
    if !output.status.success() {
        return Err(MediaError::BadVideo {
            path: display,
            reason: stderr_line(&output.stderr),
        });
    }
    let offsets = frame_times(&String::from_utf8_lossy(&output.stderr));
    let mut files: Vec<_> = std::fs::read_dir(workdir.path())
        .map_err(|err| tool_error("ffmpeg", &display, err))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    files.sort();
    let mut frames = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let image = image::open(file).map_err(|err| MediaError::BadVideo {
            path: display.clone(),
            reason: err.to_string(),
        })?;
        let offset_secs = offsets
            .get(index)
            .copied()
            .unwrap_or(index as f64 * interval);
        frames.push(Frame {
            image,
            index: i32::try_from(index).unwrap_or(i32::MAX),
            offset_secs,
        });
    }
    if frames.is_empty() {
        return Err(MediaError::BadVideo {
            path: display,
            reason: "no frame could be read".to_owned(),
        });
    }
    Ok((frames, info))
}

async fn probe(path: &Path, settings: &WorkerSettings) -> Result<MediaInfo, MediaError> {
    use hsi_core::video_probe::{probe_video, ProbeError};
    let display = path.display().to_string();
    let timeout = Duration::from_secs(settings.media_timeout_secs);
    let info = probe_video(&settings.ffprobe, path, timeout)
        .await
        .map_err(|err| match err {
            ProbeError::Tool(reason) => MediaError::Tool {
                tool: settings.ffprobe.clone(),
                path: display.clone(),
                reason,
            },
            other => MediaError::BadVideo {
                path: display.clone(),
                reason: other.to_string(),
            },
        })?;
    Ok(MediaInfo {
        is_video: true,
        duration_secs: info.duration_secs,
        codec: info.codec,
        width: info.width,
        height: info.height,
    })
}

async fn run_tool(
    tool: &str,
    command: &mut Command,
    path: &str,
    timeout_secs: u64,
) -> Result<std::process::Output, MediaError> {
    command
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null());
    match tokio::time::timeout(Duration::from_secs(timeout_secs), command.output()).await {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(err)) => Err(tool_error(tool, path, err)),
        Err(_) => Err(MediaError::Tool {
            tool: tool.to_owned(),
            path: path.to_owned(),
            reason: format!("timed out after {timeout_secs}s"),
        }),
    }
}

/// The `pts_time` of every frame showinfo reported, in order.
fn frame_times(log: &str) -> Vec<f64> {
    log.lines()
        .filter(|line| line.contains("Parsed_showinfo"))
        .filter_map(|line| line.split("pts_time:").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter_map(|time| time.parse().ok())
        .collect()
}

fn tool_error(tool: &str, path: &str, err: impl std::fmt::Display) -> MediaError {
    MediaError::Tool {
        tool: tool.to_owned(),
        path: path.to_owned(),
        reason: err.to_string(),
    }
}

fn stderr_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no error output")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn showinfo_timestamps_are_read() {
        let log = "[Parsed_showinfo_1 @ 0x55] n:   0 pts:      0 pts_time:0       duration:512\n\
                   frame=    1 fps=0.0 q=-0.0 size=N/A\n\
                   [Parsed_showinfo_1 @ 0x55] n:   1 pts:  10240 pts_time:1.0064  duration:512\n";
        assert_eq!(frame_times(log), [0.0, 1.0064]);
    }
}
