//! Checks on a file's metadata and content. Everything here does blocking I/O or CPU
//! work and runs on a blocking thread; videos are probed afterwards (see `probe`).

use crate::refusal::Refusal;
use crate::settings::WatcherSettings;
use hsi_proto::v1::MediaKind;
use image::ImageFormat;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

/// JPEG's end-of-image marker.
const JPEG_EOI: [u8; 2] = [0xFF, 0xD9];
/// PNG's IEND chunk: zero length, type, and the CRC of the type (always the same).
const PNG_IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
const HASH_BUFFER: usize = 1 << 20;

/// A file whose metadata and (for images) content passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// Bytes actually read and hashed.
    pub size: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

/// Checks the file at `path` and hashes it: no symlink leaving `canonical_root`, a
/// regular file, a size within the limits of its kind and, for an image, a complete
/// picture that decodes.
pub fn check_file(
    path: &Path,
    canonical_root: &Path,
    kind: MediaKind,
    settings: &WatcherSettings,
) -> Result<CheckedFile, Refusal> {
    let link = fs::symlink_metadata(path).map_err(io_refusal)?;
    if link.file_type().is_symlink() {
        let target = fs::canonicalize(path).map_err(|err| match err.kind() {
            // A dangling link points at nothing that could be a file.
            io::ErrorKind::NotFound => Refusal::NotRegularFile,
            _ => io_refusal(err),
        })?;
        if !target.starts_with(canonical_root) {
            return Err(Refusal::SymlinkOutsideRoot);
        }
    }
    let metadata = fs::metadata(path).map_err(io_refusal)?;
    if !metadata.is_file() {
        return Err(Refusal::NotRegularFile);
    }
    let max = max_bytes(kind, settings);
    check_size(metadata.len(), settings.min_bytes, max)?;
    let checked = if kind == MediaKind::Video {
        hash_file(path, max)?
    } else {
        let bytes = read_limited(path, max)?;
        check_image(&bytes)?;
        CheckedFile {
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
        }
    };
    // The file may have changed between the stat and the read.
    check_size(checked.size, settings.min_bytes, max)?;
    Ok(checked)
}

fn max_bytes(kind: MediaKind, settings: &WatcherSettings) -> u64 {
    match kind {
        MediaKind::Video => settings.max_video_bytes,
        _ => settings.max_image_bytes,
    }
}

/// Refuses empty files and sizes outside `min..=max`.
pub fn check_size(size: u64, min: u64, max: u64) -> Result<(), Refusal> {
    if size == 0 {
        Err(Refusal::Empty)
    } else if size < min {
        Err(Refusal::TooSmall { size, min })
    } else if size > max {
        Err(Refusal::TooLarge { size, max })
    } else {
        Ok(())
    }
}

fn io_refusal(err: io::Error) -> Refusal {
    match err.kind() {
        io::ErrorKind::NotFound => Refusal::Vanished,
        _ => Refusal::Unreadable(err.to_string()),
    }
}

/// Reads at most `max + 1` bytes so a file that grew past the limit is not slurped whole.
fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, Refusal> {
    let file = File::open(path).map_err(io_refusal)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_refusal)?;
    Ok(bytes)
}

/// Hashes a file as it streams by (videos can be gigabytes).
fn hash_file(path: &Path, max: u64) -> Result<CheckedFile, Refusal> {
    let mut file = File::open(path)
        .map_err(io_refusal)?
        .take(max.saturating_add(1));
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; HASH_BUFFER];
    let mut size = 0_u64;
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(io_refusal(err)),
        };
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    Ok(CheckedFile {
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// A JPEG or PNG that ends properly and decodes completely. The end marker matters
/// because decoders fill a truncated JPEG with grey and report success.
pub fn check_image(bytes: &[u8]) -> Result<(), Refusal> {
    let format = image::guess_format(bytes)
        .map_err(|_| Refusal::UndecodableImage("not a jpeg or png image".to_owned()))?;
    match format {
        ImageFormat::Jpeg if !jpeg_is_complete(bytes) => {
            return Err(Refusal::IncompleteImage("jpeg end-of-image marker"))
        }
        ImageFormat::Png if !png_is_complete(bytes) => {
            return Err(Refusal::IncompleteImage("png iend chunk"))
        }
        ImageFormat::Jpeg | ImageFormat::Png => {}
        other => {
            return Err(Refusal::UndecodableImage(format!(
                "{other:?} images are not accepted"
            )))
        }
    }
    image::load_from_memory_with_format(bytes, format)
        .map(drop)
        .map_err(|err| Refusal::UndecodableImage(err.to_string()))
}

/// The bytes without the zero padding some cameras and FTP clients append.
fn without_zero_padding(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &bytes[..end]
}

/// True when the JPEG ends with its end-of-image marker (after any zero padding).
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    without_zero_padding(bytes).ends_with(&JPEG_EOI)
}

/// True when the PNG ends with its IEND chunk (after any zero padding).
pub fn png_is_complete(bytes: &[u8]) -> bool {
    // IEND's CRC ends in a non-zero byte, so trimming zeros never eats into it.
    without_zero_padding(bytes).ends_with(&PNG_IEND)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let mut bytes = Vec::new();
        image::RgbImage::new(4, 4)
            .write_to(&mut io::Cursor::new(&mut bytes), ImageFormat::Png)
            .expect("encode png");
        bytes
    }

    fn jpeg() -> Vec<u8> {
        let mut bytes = Vec::new();
        image::RgbImage::from_pixel(32, 32, image::Rgb([200, 10, 10]))
            .write_to(&mut io::Cursor::new(&mut bytes), ImageFormat::Jpeg)
            .expect("encode jpeg");
        bytes
    }

    #[test]
    fn jpeg_end_marker_is_required_but_zero_padding_is_allowed() {
        let mut bytes = jpeg();
        assert!(jpeg_is_complete(&bytes));
        assert_eq!(check_image(&bytes), Ok(()));
        bytes.extend_from_slice(&[0; 16]);
        assert!(jpeg_is_complete(&bytes));
        assert_eq!(check_image(&bytes), Ok(()));
        let half = &jpeg()[..bytes.len() / 2];
        assert!(!jpeg_is_complete(half));
        assert_eq!(
            check_image(half),
            Err(Refusal::IncompleteImage("jpeg end-of-image marker"))
        );
        assert!(!jpeg_is_complete(&[]));
        assert!(!jpeg_is_complete(&[0, 0, 0]));
    }

    #[test]
    fn png_iend_is_required() {
        let bytes = png();
        assert!(png_is_complete(&bytes));
        assert_eq!(check_image(&bytes), Ok(()));
        let cut = &bytes[..bytes.len() - 4];
        assert!(!png_is_complete(cut));
        assert_eq!(
            check_image(cut),
            Err(Refusal::IncompleteImage("png iend chunk"))
        );
    }

    #[test]
    fn text_is_not_an_image() {
        let refusal = check_image(b"just some notes, not a picture at all").expect_err("text");
        assert_eq!(refusal.reason(), "undecodable_image");
    }

    #[test]
    fn a_jpeg_with_a_corrupt_body_but_an_end_marker_is_refused() {
        let mut bytes = jpeg();
        let len = bytes.len();
        // Keep the header, wreck the middle, keep the end marker.
        for byte in &mut bytes[len / 3..len - 2] {
            *byte = 0xFF;
        }
        assert_eq!(
            check_image(&bytes).map_err(|r| r.reason()),
            Err("undecodable_image")
        );
    }

    #[test]
    fn sizes_are_checked_against_both_limits() {
        assert_eq!(check_size(0, 64, 100), Err(Refusal::Empty));
        assert_eq!(
            check_size(10, 64, 100),
            Err(Refusal::TooSmall { size: 10, min: 64 })
        );
        assert_eq!(
            check_size(101, 64, 100),
            Err(Refusal::TooLarge {
                size: 101,
                max: 100
            })
        );
        assert_eq!(check_size(64, 64, 100), Ok(()));
        assert_eq!(check_size(1, 0, 100), Ok(()));
    }
}
