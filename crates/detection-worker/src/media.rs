//! Reading uploads into frames: images are decoded; videos are probed and sampled with
//! the system's ffprobe and ffmpeg.

use crate::settings::WorkerSettings;
use image::DynamicImage;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{ChildStderr, ChildStdout, Command};
use tokio::sync::mpsc;

/// A frame to run the detector on.
#[derive(Debug)]
pub struct Frame {
    /// The pixels as decoded: a large JPEG at a reduced scale (see `original_width`).
    pub image: DynamicImage,
    /// The size of the frame itself, which boxes and rows are recorded in.
    pub original_width: u32,
    pub original_height: u32,
    /// 0 for a still; the sample's place in a video otherwise.
    pub index: i32,
    /// Seconds from the start of the video (0 for a still).
    pub offset_secs: f64,
}

impl Frame {
    /// `original / decoded` on each axis.
    pub fn scale(&self) -> (f32, f32) {
        hsi_detector::input::scale_of(&self.image, self.original_width, self.original_height)
    }
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

/// Decodes a still image, refusing decompression bombs before allocating for them. A
/// JPEG is decoded at the smallest DCT scale that still covers `cover` (the model's
/// input), which the detector and the thumbnails both work from.
pub async fn load_image(
    path: &Path,
    cover: (u32, u32),
    max_pixels: u64,
) -> Result<(Vec<Frame>, MediaInfo), MediaError> {
    let owned = path.to_path_buf();
    let display = path.display().to_string();
    let decoded =
        tokio::task::spawn_blocking(move || hsi_detector::decode_file(&owned, cover, max_pixels))
            .await
            .map_err(|err| MediaError::BadImage {
                path: display.clone(),
                reason: err.to_string(),
            })?;
    let decoded = decoded.map_err(|err| match err {
        hsi_detector::InputError::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
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
        width: decoded.original_width,
        height: decoded.original_height,
        ..MediaInfo::default()
    };
    Ok((
        vec![Frame {
            original_width: decoded.original_width,
            original_height: decoded.original_height,
            image: decoded.image,
            index: 0,
            offset_secs: 0.0,
        }],
        info,
    ))
}

/// Probes a clip and samples one frame every `video_frame_interval_secs`, at most
/// `video_max_frames`.
///
/// ffmpeg writes the sampled frames as raw RGB (`rgb24`, packed, no padding) to its
/// stdout, which is read as it comes; its log on stderr is read at the same time, so
/// neither pipe can fill up and stall it.
pub async fn load_video(
    path: &Path,
    settings: &WorkerSettings,
) -> Result<(Vec<Frame>, MediaInfo), MediaError> {
    let display = path.display().to_string();
    if !path.exists() {
        return Err(MediaError::Vanished { path: display });
    }
    let info = probe(path, settings).await?;
    // Rotation only swaps the sides, so the probed (stored) size gives the pixel count of
    // every frame ffmpeg will write; refuse huge clips before decoding anything.
    let limit = Limits {
        max_pixels: settings.max_image_pixels,
        max_frames: settings.video_max_frames,
    };
    limit.check(&display, info.width, info.height)?;
    // `select` keeps the first frame and then the first one at least `interval` after the
    // previously kept one; unlike the fps filter it never drops the tail of a short clip.
    // showinfo reports each kept frame's real timestamp and size.
    //
    // The size of the frames on the pipe is taken from showinfo, not from the probe: ffmpeg
    // turns clips with a display-matrix rotation upright (transpose filters it inserts
    // before ours, so a 320x240 clip rotated by 90 degrees gives 240x320 frames), and the
    // stream's size may change part way. Nothing after showinfo changes the size (the SAR
    // is only recorded, never applied, and the conversion to rgb24 that ffmpeg adds keeps
    // the size), and each frame's line reaches stderr before its pixels reach stdout, so
    // the reader waits for a frame's line and then reads exactly `width * height * 3` bytes.
    let interval = settings.video_frame_interval_secs;
    let filter =
        format!("select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{interval})',showinfo");
    let mut command = Command::new(&settings.ffmpeg);
    command
        .args(["-nostdin", "-hide_banner", "-loglevel", "info", "-i"])
        .arg(hsi_core::video_probe::file_url(path))
        .args([
            "-vf",
            &filter,
            "-fps_mode",
            "vfr",
            "-frames:v",
            &settings.video_max_frames.to_string(),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "pipe:1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|err| tool_error(&settings.ffmpeg, &display, err))?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(tool_error(
            &settings.ffmpeg,
            &display,
            "its pipes were not opened",
        ));
    };
    let timeout_secs = settings.media_timeout_secs;
    let run = async {
        let (sender, receiver) = mpsc::unbounded_channel();
        let (last_line, read) = tokio::join!(
            read_log(stderr, sender),
            read_frames(stdout, receiver, limit, &display)
        );
        (last_line, read, child.wait().await)
    };
    let finished = tokio::time::timeout(Duration::from_secs(timeout_secs), run).await;
    let (last_line, read, status) = match finished {
        Ok(done) => done,
        Err(_) => {
            // kill_on_drop would too; killing here also reaps it.
            let _ = child.kill().await;
            return Err(MediaError::Tool {
                tool: settings.ffmpeg.clone(),
                path: display,
                reason: format!("timed out after {timeout_secs}s"),
            });
        }
    };
    let status = status.map_err(|err| tool_error(&settings.ffmpeg, &display, err))?;
    // A frame the reader refused (cut short, too big) comes first: ffmpeg then fails only
    // because its pipe was closed.
    let frames = read?;
    if !status.success() {
        return Err(MediaError::BadVideo {
            path: display,
            reason: last_line,
        });
    }
    if frames.is_empty() {
        return Err(MediaError::BadVideo {
            path: display,
            reason: "no frame could be read".to_owned(),
        });
    }
    let frames = frames
        .into_iter()
        .enumerate()
        .map(|(index, (image, offset))| Frame {
            original_width: image.width(),
            original_height: image.height(),
            image,
            index: i32::try_from(index).unwrap_or(i32::MAX),
            offset_secs: offset.unwrap_or(index as f64 * interval),
        })
        .collect();
    Ok((frames, info))
}

/// Bounds on what one clip may take.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_pixels: u64,
    max_frames: usize,
}

impl Limits {
    /// Bytes of one `width` x `height` rgb24 frame, or BadVideo when it is too big.
    fn check(&self, path: &str, width: u32, height: u32) -> Result<usize, MediaError> {
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(MediaError::BadVideo {
                path: path.to_owned(),
                reason: format!(
                    "its {width}x{height} frames exceed the {} pixels allowed",
                    self.max_pixels
                ),
            });
        }
        usize::try_from(pixels * 3).map_err(|_| MediaError::BadVideo {
            path: path.to_owned(),
            reason: format!("its {width}x{height} frames are too big to hold"),
        })
    }
}

/// What showinfo says about one frame it passed on.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ShownFrame {
    /// `pts_time`; None when the frame had no timestamp.
    offset_secs: Option<f64>,
    width: u32,
    height: u32,
}

/// Reads ffmpeg's log to the end, sending each frame showinfo reports (or why its line
/// could not be read) as it comes, and returns the last non-empty line.
async fn read_log(
    stderr: ChildStderr,
    frames: mpsc::UnboundedSender<Result<ShownFrame, String>>,
) -> String {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    let mut last = String::new();
    loop {
        line.clear();
        // The progress line ends in '\r' and showinfo may go on after it, so '\r' ends a
        // line as well as '\n'.
        match read_line(&mut reader, &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if let Some(shown) = parse_showinfo(text) {
            // The reader may have stopped already (a bad frame); keep draining regardless.
            let _ = frames.send(shown);
        }
        text.clone_into(&mut last);
    }
    if last.is_empty() {
        "no error output".to_owned()
    } else {
        last
    }
}

/// The longest log line kept, in bytes.
const MAX_LOG_LINE: usize = 16 * 1024;

/// Reads up to and including the next '\n' or '\r' into `line` (its first
/// `MAX_LOG_LINE` bytes); returns the bytes read, 0 at the end.
async fn read_line(
    reader: &mut BufReader<ChildStderr>,
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(total);
        }
        let (used, done) = match available.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        // Only a line's start is kept: a showinfo line is a few hundred bytes, and the
        // log's size is up to the file.
        let room = MAX_LOG_LINE.saturating_sub(line.len()).min(used);
        line.extend_from_slice(&available[..room]);
        reader.consume(used);
        total += used;
        if done {
            return Ok(total);
        }
    }
}

/// Cuts ffmpeg's stdout into frames, each of the size its showinfo line gives, with its
/// `pts_time`.
async fn read_frames(
    mut stdout: ChildStdout,
    mut shown: mpsc::UnboundedReceiver<Result<ShownFrame, String>>,
    limit: Limits,
    path: &str,
) -> Result<Vec<(DynamicImage, Option<f64>)>, MediaError> {
    let bad = |reason: String| MediaError::BadVideo {
        path: path.to_owned(),
        reason,
    };
    let mut frames = Vec::new();
    // Waiting for the log cannot stall ffmpeg: it is drained alongside, and a frame's line
    // is written before its pixels.
    while let Some(next) = shown.recv().await {
        let frame = next.map_err(bad)?;
        if frames.len() == limit.max_frames {
            // showinfo may pass one more frame than -frames:v lets through; nothing
            // follows it on the pipe (checked below).
            break;
        }
        let len = limit.check(path, frame.width, frame.height)?;
        let mut pixels = vec![0u8; len];
        let got = read_full(&mut stdout, &mut pixels)
            .await
            .map_err(|err| bad(format!("cannot read ffmpeg's output: {err}")))?;
        if got == 0 {
            // ffmpeg ended before writing this frame (it filtered more than it wrote).
            break;
        }
        if got < len {
            return Err(bad(format!(
                "frame {} was cut short: {got} of its {len} bytes ({}x{} rgb24) arrived",
                frames.len(),
                frame.width,
                frame.height
            )));
        }
        let image = image::RgbImage::from_raw(frame.width, frame.height, pixels)
            .map(DynamicImage::ImageRgb8)
            .ok_or_else(|| bad(format!("frame {} has the wrong size", frames.len())))?;
        frames.push((image, frame.offset_secs));
    }
    let mut rest = [0u8; 4096];
    let extra = read_full(&mut stdout, &mut rest)
        .await
        .map_err(|err| bad(format!("cannot read ffmpeg's output: {err}")))?;
    if extra > 0 {
        return Err(bad(format!(
            "ffmpeg wrote more than the {} frames it reported",
            frames.len()
        )));
    }
    Ok(frames)
}

/// Fills `buf` unless the stream ends first; returns how many bytes were read.
async fn read_full(stdout: &mut ChildStdout, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match stdout.read(&mut buf[filled..]).await? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
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

/// Reads one of showinfo's per-frame lines, e.g.
/// `[Parsed_showinfo_1 @ 0x55] n:   0 pts:      0 pts_time:0  pos: 48 fmt:yuv420p sar:1/1 s:240x320 i:P ...`.
/// None for any other line; an error for a frame line without a readable size.
fn parse_showinfo(line: &str) -> Option<Result<ShownFrame, String>> {
    // Only the filter's own lines start so: ffmpeg indents the metadata it prints and
    // turns '\r' in it into a space, so a file cannot forge one.
    if !line.starts_with("[Parsed_showinfo_") {
        return None;
    }
    // The filter's other lines (configuration, colour, side data) have no pts_time.
    let rest = line.split_once(" pts_time:")?.1;
    let offset_secs = rest
        .split_whitespace()
        .next()
        .and_then(|time| time.parse::<f64>().ok())
        .filter(|time| time.is_finite());
    let size = rest
        .split_whitespace()
        .find_map(|token| token.strip_prefix("s:"))
        .and_then(|size| size.split_once('x'))
        .and_then(|(width, height)| Some((width.parse().ok()?, height.parse().ok()?)));
    Some(match size {
        Some((width, height)) if width > 0 && height > 0 => Ok(ShownFrame {
            offset_secs,
            width,
            height,
        }),
        _ => Err(format!("showinfo gave no frame size in {line:?}")),
    })
}

fn tool_error(tool: &str, path: &str, err: impl std::fmt::Display) -> MediaError {
    MediaError::Tool {
        tool: tool.to_owned(),
        path: path.to_owned(),
        reason: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn showinfo_frames_are_read() {
        let frame = |offset_secs, width, height| {
            Some(Ok(ShownFrame {
                offset_secs,
                width,
                height,
            }))
        };
        assert_eq!(
            parse_showinfo(
                "[Parsed_showinfo_1 @ 0x55] n:   0 pts:      0 pts_time:0       pos:       48 \
                 fmt:yuv420p sar:1/1 s:240x320 i:P iskey:1 type:I checksum:BACB23B2 \
                 plane_checksum:[09872530 BF79E703 B2691770] mean:[122 129 127] stdev:[56.8 77.9 81.6]"
            ),
            frame(Some(0.0), 240, 320)
        );
        // ffmpeg 6 and later add duration and colour fields.
        assert_eq!(
            parse_showinfo(
                "[Parsed_showinfo_1 @ 0x55] n:   1 pts:  10240 pts_time:1.0064  duration:    512 \
                 duration_time:0.05 fmt:yuv420p cl:left sar:4/3 s:320x240 i:P iskey:0 type:B"
            ),
            frame(Some(1.0064), 320, 240)
        );
        assert_eq!(
            parse_showinfo("[Parsed_showinfo_1 @ 0x55] n:   2 pts: NOPTS pts_time:NOPTS s:2x2"),
            frame(None, 2, 2)
        );
        assert!(matches!(
            parse_showinfo("[Parsed_showinfo_1 @ 0x55] n:   3 pts:  0 pts_time:0 s:?"),
            Some(Err(_))
        ));
        for other in [
            "[Parsed_showinfo_1 @ 0x55] config in time_base: 1/10240, frame_rate: 10/1",
            "[Parsed_showinfo_1 @ 0x55] color_range:unknown color_space:unknown",
            "frame=    1 fps=0.0 q=0.0 size=       0kB time=00:00:00.00 bitrate=N/A",
            "    title           : [Parsed_showinfo_1 @ 0x1] n: 0 pts: 0 pts_time:0 s:9x9",
        ] {
            assert_eq!(parse_showinfo(other.trim()), None, "{other}");
        }
    }
}
