//! Asking ffprobe whether a file is a playable video.

use crate::refusal::Refusal;
use serde::Deserialize;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

#[derive(Debug, Deserialize)]
struct ProbeOutput {
    #[serde(default)]
    streams: Vec<ProbeStream>,
}

#[derive(Debug, Deserialize)]
struct ProbeStream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
}

/// What ffprobe found in a video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoInfo {
    pub codec: String,
    pub width: u32,
    pub height: u32,
}

/// Runs ffprobe on `path` within `timeout`; the file must hold a video stream with a
/// picture size.
pub async fn probe_video(
    ffprobe: &str,
    path: &Path,
    timeout: Duration,
) -> Result<VideoInfo, Refusal> {
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
        .map_err(|err| Refusal::ProbeFailed(format!("cannot run {ffprobe:?}: {err}")))?;
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(err)) => return Err(Refusal::ProbeFailed(err.to_string())),
        Err(_) => {
            return Err(Refusal::ProbeFailed(format!(
                "no answer within {} ms",
                timeout.as_millis()
            )))
        }
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(Refusal::NotAVideo(first_line(&stderr)));
    }
    parse_probe(&output.stdout)
}

fn file_url(path: &Path) -> std::ffi::OsString {
    let mut url = std::ffi::OsString::from("file:");
    url.push(path.as_os_str());
    url
}

fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|line| !line.is_empty());
    line.unwrap_or("ffprobe failed").chars().take(200).collect()
}

/// Picks the first video stream with a picture size out of ffprobe's JSON.
fn parse_probe(stdout: &[u8]) -> Result<VideoInfo, Refusal> {
    let parsed: ProbeOutput = serde_json::from_slice(stdout)
        .map_err(|err| Refusal::ProbeFailed(format!("unreadable ffprobe output: {err}")))?;
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
                codec: codec_name.unwrap_or_default(),
                width,
                height,
            }),
            _ => None,
        })
        .ok_or_else(|| Refusal::NotAVideo("no video stream with a picture size".to_owned()))
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
                codec: "h264".into(),
                width: 320,
                height: 212
            })
        );
    }

    #[test]
    fn audio_only_or_sizeless_streams_are_not_video() {
        let audio = br#"{"streams":[{"codec_name":"mp3","codec_type":"audio"}],"format":{}}"#;
        assert_eq!(
            parse_probe(audio).map_err(|r| r.reason()),
            Err("not_a_video")
        );
        let sizeless = br#"{"streams":[{"codec_type":"video","width":0,"height":0}]}"#;
        assert_eq!(
            parse_probe(sizeless).map_err(|r| r.reason()),
            Err("not_a_video")
        );
        assert_eq!(
            parse_probe(b"{}").map_err(|r| r.reason()),
            Err("not_a_video")
        );
        assert_eq!(
            parse_probe(b"nonsense").map_err(|r| r.reason()),
            Err("probe_failed")
        );
    }

    #[test]
    fn paths_are_passed_as_file_urls() {
        assert_eq!(file_url(Path::new("/c/-x.mp4")), "file:/c/-x.mp4");
    }
}
