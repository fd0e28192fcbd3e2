//! Sampling video frames through ffmpeg's raw RGB pipe: the frames, their sizes and their
//! offsets must be exactly those the former PNG-file path gave, upright for rotated clips,
//! and broken clips or a misbehaving ffmpeg must give the right errors.

use hsi_detection_worker::media::{load_video, Frame, MediaError};
use hsi_detection_worker::WorkerSettings;
use image::DynamicImage;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn settings(interval: f64, max_frames: usize) -> WorkerSettings {
    WorkerSettings {
        video_frame_interval_secs: interval,
        video_max_frames: max_frames,
        media_timeout_secs: 30,
        ..WorkerSettings::default()
    }
}

fn ffmpeg(args: &[&str]) -> std::process::Output {
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg");
    assert!(
        output.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A 3 s, 10 fps 320x240 test pattern in H.264 (MPEG-4 part 2 where libx264 is missing).
fn clip(dir: &Path, name: &str, filter: &str) -> PathBuf {
    let encoders = ffmpeg(&["-encoders"]);
    let codec = if String::from_utf8_lossy(&encoders.stdout).contains("libx264") {
        "libx264"
    } else {
        "mpeg4"
    };
    let path = dir.join(name);
    ffmpeg(&[
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=10",
        "-t",
        "3",
        "-vf",
        filter,
        "-c:v",
        codec,
        "-pix_fmt",
        "yuv420p",
        path.to_str().expect("utf-8 path"),
    ]);
    path
}

/// The same clip with a display matrix turning it by 90 degrees.
fn rotated(dir: &Path, source: &Path) -> PathBuf {
    let path = dir.join("rotated.mp4");
    ffmpeg(&[
        "-loglevel",
        "error",
        "-i",
        source.to_str().expect("utf-8 path"),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        path.to_str().expect("utf-8 path"),
    ]);
    path
}

/// The frames the worker got before the pipe: ffmpeg writes PNG files with the same
/// filter and options, `image` decodes them, and showinfo's `pts_time` gives the offsets.
fn png_frames(path: &Path, settings: &WorkerSettings, dir: &Path) -> Vec<(DynamicImage, f64)> {
    let out = tempfile::tempdir_in(dir).expect("png dir");
    let out = out.path();
    let filter = format!(
        "select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{})',showinfo",
        settings.video_frame_interval_secs
    );
    let output = ffmpeg(&[
        "-loglevel",
        "info",
        "-i",
        path.to_str().expect("utf-8 path"),
        "-vf",
        &filter,
        "-fps_mode",
        "vfr",
        "-frames:v",
        &settings.video_max_frames.to_string(),
        out.join("frame_%05d.png").to_str().expect("utf-8 path"),
    ]);
    let log = String::from_utf8_lossy(&output.stderr).replace('\r', "\n");
    let offsets: Vec<f64> = log
        .lines()
        .filter(|line| line.starts_with("[Parsed_showinfo"))
        .filter_map(|line| line.split(" pts_time:").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|time| time.parse().expect("pts_time"))
        .collect();
    let mut files: Vec<_> = std::fs::read_dir(out)
        .expect("png dir")
        .map(|entry| entry.expect("entry").path())
        .collect();
    files.sort();
    assert!(offsets.len() >= files.len(), "{offsets:?} for {files:?}");
    files
        .iter()
        .zip(offsets)
        .map(|(file, offset)| (image::open(file).expect("png"), offset))
        .collect()
}

/// The largest difference of any channel of any pixel (for the failure message).
fn max_difference(a: &DynamicImage, b: &DynamicImage) -> u8 {
    a.to_rgb8()
        .as_raw()
        .iter()
        .zip(b.to_rgb8().as_raw())
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}

fn assert_same_frames(frames: &[Frame], expected: &[(DynamicImage, f64)]) {
    assert_eq!(frames.len(), expected.len(), "frame count");
    for (index, (frame, (image, offset))) in frames.iter().zip(expected).enumerate() {
        assert_eq!(frame.index, i32::try_from(index).expect("index"));
        assert_eq!(frame.offset_secs, *offset, "offset of frame {index}");
        assert_eq!(size(&frame.image), size(image), "size of frame {index}");
        assert!(
            matches!(frame.image, DynamicImage::ImageRgb8(_)),
            "frame {index} is {:?}",
            frame.image.color()
        );
        assert!(
            frame.image == *image,
            "frame {index} differs from the PNG by up to {} (PNG is {:?})",
            max_difference(&frame.image, image),
            image.color()
        );
    }
}

fn size(image: &DynamicImage) -> (u32, u32) {
    (image.width(), image.height())
}

/// A stand-in for ffmpeg: a shell script run with ffmpeg's arguments.
fn fake_ffmpeg(dir: &Path, body: &str) -> String {
    let path = dir.join("fake-ffmpeg");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.to_str().expect("utf-8 path").to_owned()
}

#[tokio::test]
async fn sampled_frames_match_the_png_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = clip(dir.path(), "clip.mp4", "null");
    for (interval, max_frames, expected) in [(1.0, 10, 3), (0.5, 4, 4), (0.25, 1, 1)] {
        let settings = settings(interval, max_frames);
        let (frames, info) = load_video(&path, &settings).await.expect("frames");
        assert!(info.is_video);
        assert_eq!((info.width, info.height), (320, 240));
        let png = png_frames(&path, &settings, dir.path());
        assert_eq!(png.len(), expected, "PNG frames for {interval}s");
        assert_same_frames(&frames, &png);
        for (index, frame) in frames.iter().enumerate() {
            let nominal = index as f64 * interval;
            assert!(
                (frame.offset_secs - nominal).abs() < 0.11,
                "frame {index} at {}s, not near {nominal}s",
                frame.offset_secs
            );
        }
    }
}

#[tokio::test]
async fn rotated_clips_are_turned_upright_like_the_png_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = clip(dir.path(), "clip.mp4", "null");
    let path = rotated(dir.path(), &source);
    let settings = settings(1.0, 10);
    let (frames, info) = load_video(&path, &settings).await.expect("frames");
    // The probe reports the stored size; ffmpeg applies the display matrix.
    assert_eq!((info.width, info.height), (320, 240));
    assert_eq!(size(&frames[0].image), (240, 320));
    assert_same_frames(&frames, &png_frames(&path, &settings, dir.path()));
}

#[tokio::test]
async fn anamorphic_clips_keep_their_stored_size_like_the_png_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = clip(dir.path(), "wide.mp4", "setsar=2/1");
    let settings = settings(1.0, 10);
    let (frames, _) = load_video(&path, &settings).await.expect("frames");
    assert_eq!(size(&frames[0].image), (320, 240));
    assert_same_frames(&frames, &png_frames(&path, &settings, dir.path()));
}

#[tokio::test]
async fn garbage_and_truncated_clips_are_bad_videos() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = clip(dir.path(), "clip.mp4", "null");
    let bytes = std::fs::read(&source).expect("clip");
    let truncated = dir.path().join("truncated.mp4");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let garbage = dir.path().join("garbage.mp4");
    std::fs::write(
        &garbage,
        b"this is not a video at all, just some text".repeat(100),
    )
    .expect("write");
    for path in [truncated, garbage] {
        let err = load_video(&path, &settings(1.0, 10))
            .await
            .expect_err("not a video");
        assert!(matches!(err, MediaError::BadVideo { .. }), "{err:?}");
        assert!(!err.is_transient());
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }
}

#[tokio::test]
async fn clips_above_the_pixel_limit_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = clip(dir.path(), "clip.mp4", "null");
    let settings = WorkerSettings {
        max_image_pixels: 320 * 240 - 1,
        ..settings(1.0, 10)
    };
    let err = load_video(&path, &settings).await.expect_err("too big");
    assert!(matches!(err, MediaError::BadVideo { .. }), "{err:?}");
    assert!(err.to_string().contains("320x240"), "{err}");
    let settings = WorkerSettings {
        max_image_pixels: 320 * 240,
        ..settings
    };
    assert_eq!(load_video(&path, &settings).await.expect("fits").0.len(), 3);
}

const SHOWINFO: &str = "[Parsed_showinfo_1 @ 0x1] n:   0 pts:      0 pts_time:0       pos:       48 fmt:yuv420p sar:1/1 s:4x2 i:P iskey:1 type:I";

#[tokio::test]
async fn a_frame_cut_short_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = clip(dir.path(), "clip.mp4", "null");
    // One whole 4x2 frame (24 bytes), then 10 bytes of a second one.
    let body = format!(
        "echo '{SHOWINFO}' >&2\nhead -c 24 /dev/zero\necho '{}' >&2\nhead -c 10 /dev/zero",
        SHOWINFO
            .replace("n:   0", "n:   1")
            .replace("pts_time:0 ", "pts_time:1 ")
    );
    let settings = WorkerSettings {
        ffmpeg: fake_ffmpeg(dir.path(), &body),
        ..settings(1.0, 10)
    };
    let err = load_video(&path, &settings).await.expect_err("cut short");
    assert!(matches!(err, MediaError::BadVideo { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("cut short"), "{text}");
}

#[tokio::test]
async fn a_whole_frame_from_a_stand_in_is_read_with_its_reported_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = clip(dir.path(), "clip.mp4", "null");
    let body = format!("echo '{SHOWINFO}' >&2\nprintf 'abcdefghijklmnopqrstuvwx'");
    let settings = WorkerSettings {
        ffmpeg: fake_ffmpeg(dir.path(), &body),
        ..settings(1.0, 10)
    };
    let (frames, _) = load_video(&path, &settings).await.expect("one frame");
    assert_eq!(frames.len(), 1);
    let image = frames[0].image.as_rgb8().expect("rgb8");
    assert_eq!(image.dimensions(), (4, 2));
    assert_eq!(image.as_raw().as_slice(), b"abcdefghijklmnopqrstuvwx");
}

#[tokio::test]
async fn bytes_without_a_reported_frame_are_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = clip(dir.path(), "clip.mp4", "null");
    let settings = WorkerSettings {
        ffmpeg: fake_ffmpeg(dir.path(), "head -c 100 /dev/zero"),
        ..settings(1.0, 10)
    };
    let err = load_video(&path, &settings).await.expect_err("unreported");
    assert!(matches!(err, MediaError::BadVideo { .. }), "{err:?}");
}

#[tokio::test]
async fn a_failing_or_silent_ffmpeg_is_a_bad_video() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = clip(dir.path(), "clip.mp4", "null");
    let settings = WorkerSettings {
        ffmpeg: fake_ffmpeg(
            dir.path(),
            "echo 'first line' >&2\necho 'the real reason' >&2\nexit 1",
        ),
        ..settings(1.0, 10)
    };
    match load_video(&path, &settings).await {
        Err(MediaError::BadVideo { reason, .. }) => assert_eq!(reason, "the real reason"),
        other => panic!("{other:?}"),
    }
    let settings = WorkerSettings {
        ffmpeg: fake_ffmpeg(dir.path(), "exit 0"),
        ..settings
    };
    match load_video(&path, &settings).await {
        Err(MediaError::BadVideo { reason, .. }) => assert_eq!(reason, "no frame could be read"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_hung_ffmpeg_is_killed_and_the_error_is_transient() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = clip(dir.path(), "clip.mp4", "null");
    let settings = WorkerSettings {
        ffmpeg: fake_ffmpeg(dir.path(), "exec sleep 30"),
        media_timeout_secs: 1,
        ..settings(1.0, 10)
    };
    let started = Instant::now();
    let err = load_video(&path, &settings).await.expect_err("timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(matches!(err, MediaError::Tool { .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(err.to_string().contains("timed out"), "{err}");
}
