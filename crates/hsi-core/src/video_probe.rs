//! Asking ffprobe what a video holds: the one ffprobe runner and parser, shared by the
//! file-watcher (is this upload a playable video?) and the detection-worker (its size,
//! codec and duration before sampling frames).

use serde::Deserialize;
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// What ffprobe found in a video: its first video stream with a picture size.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    pub codec: Option<String>,
    pub width: u32,
    pub height: u32,
    /// The container's duration, when it states a sensible one.
    pub duration_secs: Option<f64>,
}

/// Why a video could not be probed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// ffprobe could not be run or did not answer in time: the tool, not the file.
    #[error("{0}")]
    Tool(String),
    /// ffprobe ran and said the file is not a video it can read.
    #[error("{0}")]
    NotAVideo(String),
    /// ffprobe answered something that is not its JSON.
    #[error("unreadable ffprobe output: {0}")]
    Output(String),
}

#[derive(Debug, Deserialize)]
struct ProbeOutput {
    #[serde(default)]
    streams: Vec<ProbeStream>,
    format: Option<ProbeFormat>,
}

#[derive(Debug, Deserialize)]
struct ProbeStream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct ProbeFormat {
    duration: Option<String>,
}

/// Runs `ffprobe` (a program name or path) on `path` within `timeout`.
pub async fn probe_video(
    ffprobe: &str,
    path: &Path,
    timeout: Duration,
) -> Result<VideoInfo, ProbeError> {
    let child = Command::new(ffprobe)
        .args(["-v", "error"])
        .args(["-show_entries", "stream=codec_type,codec_name,width,height"])
        .args(["-show_entries", "format=duration"])
        .args(["-of", "json"])
        // "--" is not understood by ffprobe; "file:" keeps a name starting with "-" or
        // holding a protocol-like prefix from being read as an option or a URL.
        .arg(file_url(path))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| ProbeError::Tool(format!("cannot run {ffprobe:?}: {err}")))?;
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(err)) => return Err(ProbeError::Tool(format!("{ffprobe:?} failed: {err}"))),
        Err(_) => {
            return Err(ProbeError::Tool(format!(
                "{ffprobe:?} gave no answer within {} ms",
                timeout.as_millis()
            )))
        }
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(ProbeError::NotAVideo(first_line(&stderr)));
    }
    parse_probe(&output.stdout)
}

/// `file:<path>`, so ffprobe and ffmpeg read the name as a file and nothing else.
pub fn file_url(path: &Path) -> OsString {
    let mut url = OsString::from("file:");
    url.push(path.as_os_str());
    url
}

fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|line| !line.is_empty());
    line.unwrap_or("ffprobe failed").chars().take(200).collect()
}

/// Picks the first video stream with a picture size out of ffprobe's JSON.
pub fn parse_probe(stdout: &[u8]) -> Result<VideoInfo, ProbeError> {
    let parsed: ProbeOutput =
        serde_json::from_slice(stdout).map_err(|err| ProbeError::Output(err.to_string()))?;
    let duration_secs = parsed
        .format
        .and_then(|format| format.duration)
        .and_then(|duration| duration.parse::<f64>().ok())
        .filter(|duration| duration.is_finite() && *duration >= 0.0);
    parsed
        .streams
        .into_iter()
        .find_map(|stream| match stream {
            ProbeStream {
                codec_type: Some(kind),
                codec_name,
                width: Some(width),
                height: Some(height),
            } if kind == "video" && width > 0 && height > 0 => Some(VideoInfo {
                codec: codec_name,
                width,
                height,
                duration_secs,
            }),
            _ => None,
        })
        .ok_or_else(|| ProbeError::NotAVideo("no video stream with a picture size".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_video_stream_with_a_size_is_found() {
        let json = br#"{"programs":[],"streams":[{"codec_name":"aac","codec_type":"audio"},
            {"codec_name":"h264","codec_type":"video","width":320,"height":212}],
            "format":{"duration":"2.000000"}}"#;
        assert_eq!(
            parse_probe(json),
            Ok(VideoInfo {
                codec: Some("h264".into()),
                width: 320,
                height: 212,
                duration_secs: Some(2.0),
            })
        );
    }

    #[test]
    fn audio_only_or_sizeless_streams_are_not_video() {
        let audio = br#"{"streams":[{"codec_name":"mp3","codec_type":"audio"}],"format":{}}"#;
        assert!(matches!(parse_probe(audio), Err(ProbeError::NotAVideo(_))));
        let sizeless = br#"{"streams":[{"codec_type":"video","width":0,"height":0}]}"#;
        assert!(matches!(
            parse_probe(sizeless),
            Err(ProbeError::NotAVideo(_))
        ));
        assert!(matches!(parse_probe(b"{}"), Err(ProbeError::NotAVideo(_))));
        let garbage = parse_probe(b"nonsense").expect_err("not json");
        assert!(garbage.to_string().starts_with("unreadable ffprobe output"));
    }

    #[test]
    fn odd_durations_are_dropped() {
        let json = br#"{"streams":[{"codec_type":"video","width":2,"height":2}],"format":{"duration":"N/A"}}"#;
        assert_eq!(parse_probe(json).expect("video").duration_secs, None);
    }

    #[test]
    fn paths_are_passed_as_file_urls() {
        assert_eq!(file_url(Path::new("/c/-x.mp4")), "file:/c/-x.mp4");
    }
}
