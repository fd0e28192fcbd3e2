//! Cropped thumbnails of detections, for the UI and for alerts.

use hsi_detector::Detection;
use image::DynamicImage;
use std::path::{Path, PathBuf};

/// Where the thumbnail of object `object` of frame `frame` of a message goes. The name is
/// derived from the message, so a redelivered message rewrites the same file.
pub fn thumbnail_path(
    root: &Path,
    camera_id: &str,
    day: &str,
    message_id: &str,
    frame: i32,
    object: usize,
) -> PathBuf {
    let safe_id: String = message_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    root.join(camera_id)
        .join(day)
        .join(format!("{safe_id}_{frame}_{object}.jpg"))
}

/// Crops `detection` (with a little context around it) and writes it as a JPEG no larger
/// than `size` on its longer side; written to a temporary name first so a reader never
/// sees half a file.
pub fn write_thumbnail(
    image: &DynamicImage,
    detection: &Detection,
    size: u32,
    path: &Path,
) -> std::io::Result<()> {
    let margin_x = (detection.width / 10).max(4);
    let margin_y = (detection.height / 10).max(4);
    let x = (detection.x - margin_x).max(0) as u32;
    let y = (detection.y - margin_y).max(0) as u32;
    let right = ((detection.x + detection.width + margin_x) as u32).min(image.width());
    let bottom = ((detection.y + detection.height + margin_y) as u32).min(image.height());
    let crop = image.crop_imm(
        x,
        y,
        right.saturating_sub(x).max(1),
        bottom.saturating_sub(y).max(1),
    );
    let thumbnail = if crop.width().max(crop.height()) > size {
        crop.thumbnail(size, size)
    } else {
        crop
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let partial = path.with_extension("jpg.partial");
    thumbnail
        .to_rgb8()
        .save_with_format(&partial, image::ImageFormat::Jpeg)
        .map_err(std::io::Error::other)?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_are_cropped_bounded_and_named_by_message() {
        let dir = tempfile::tempdir().expect("tempdir");
        let image = DynamicImage::new_rgb8(1000, 800);
        let detection = Detection {
            class_id: 0,
            class_name: "person".into(),
            confidence: 0.9,
            x: 100,
            y: 100,
            width: 600,
            height: 300,
        };
        let path = thumbnail_path(dir.path(), "front_door", "2026-11-21", "0199-ab/../x", 0, 2);
        assert!(path.starts_with(dir.path().join("front_door/2026-11-21")));
        assert!(path.ends_with("0199-abx_0_2.jpg"), "{}", path.display());
        write_thumbnail(&image, &detection, 256, &path).expect("written");
        let written = image::open(&path).expect("readable jpeg");
        assert_eq!(written.width(), 256, "longer side bounded");
        assert!(written.height() < 256);
    }
}
