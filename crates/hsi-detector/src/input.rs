//! Decoding uploads for the model: a JPEG is decoded at the smallest DCT scale (1/8,
//! 1/4 or 1/2) whose result still covers the model's input on both axes, which skips
//! most of the inverse DCT and leaves a quarter of the pixels to resize and upload (a
//! 1080p still for a 512x512 model decodes at 1/2). Measured on a 2-core machine, the
//! pure-Rust `jpeg-decoder` that can do this is slower at entropy decoding than the SIMD
//! `zune-jpeg` the `image` crate uses (1080p: 7.7 ms at 1/2 against 6.3 ms whole), so
//! the gain is in the resize and the transfer, not the decode; an image that cannot be
//! reduced, and every other format, goes through `image`.

use image::{DynamicImage, ImageBuffer};
use std::path::Path;

/// An image decoded for the model, possibly at a reduced scale of its original.
#[derive(Debug, Clone)]
pub struct DecodedImage {
    pub image: DynamicImage,
    pub original_width: u32,
    pub original_height: u32,
}

impl DecodedImage {
    /// `original / decoded` on each axis: multiply decoded pixels by it to get original ones.
    pub fn scale(&self) -> (f32, f32) {
        scale_of(&self.image, self.original_width, self.original_height)
    }
}

/// `original / decoded` on each axis of an image decoded from an `original_width` x
/// `original_height` one.
pub fn scale_of(image: &DynamicImage, original_width: u32, original_height: u32) -> (f32, f32) {
    (
        original_width as f32 / image.width().max(1) as f32,
        original_height as f32 / image.height().max(1) as f32,
    )
}

/// Why an image could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Decode(String),
    #[error("{width}x{height} pixels is more than the {max} allowed")]
    TooLarge { width: u32, height: u32, max: u64 },
}

/// Reads and decodes `path` (see [`decode`]).
pub fn decode_file(
    path: &Path,
    cover: (u32, u32),
    max_pixels: u64,
) -> Result<DecodedImage, InputError> {
    let bytes = std::fs::read(path)?;
    decode(&bytes, cover, max_pixels)
}

/// Decodes an image so that it still covers `cover` (width, height) where it is larger,
/// refusing images of more than `max_pixels` before allocating for them.
pub fn decode(
    bytes: &[u8],
    cover: (u32, u32),
    max_pixels: u64,
) -> Result<DecodedImage, InputError> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        if let Some(decoded) = decode_jpeg(bytes, cover, max_pixels)? {
            return Ok(decoded);
        }
    }
    decode_whole(bytes, max_pixels)
}

/// The reduced JPEG decode; `None` where the general decoder does better: no reduction
/// possible, or a layout it leaves to it (CMYK, 16-bit).
fn decode_jpeg(
    bytes: &[u8],
    cover: (u32, u32),
    max_pixels: u64,
) -> Result<Option<DecodedImage>, InputError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder
        .read_info()
        .map_err(|e| InputError::Decode(e.to_string()))?;
    let info = decoder
        .info()
        .ok_or_else(|| InputError::Decode("no JPEG header".to_owned()))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_size(width, height, max_pixels)?;
    let channels = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => 3,
        jpeg_decoder::PixelFormat::L8 => 1,
        jpeg_decoder::PixelFormat::L16 | jpeg_decoder::PixelFormat::CMYK32 => return Ok(None),
    };
    let denominator = dct_denominator((width, height), cover);
    if denominator == 1 {
        // No reduction: the general decoder (zune-jpeg, SIMD) is faster at full size
        // (a 1080p still: 6.3 ms against 10 ms here).
        return Ok(None);
    }
    let (w, h) = (width.div_ceil(denominator), height.div_ceil(denominator));
    // Asking for exactly the 1/d size makes the decoder pick 1/d: the next smaller
    // scale would fall short on both axes.
    let (w, h) = decoder
        .scale(
            u16::try_from(w).unwrap_or(u16::MAX),
            u16::try_from(h).unwrap_or(u16::MAX),
        )
        .map_err(|e| InputError::Decode(e.to_string()))?;
    let pixels = decoder
        .decode()
        .map_err(|e| InputError::Decode(e.to_string()))?;
    let (w, h) = (u32::from(w), u32::from(h));
    let image = if channels == 3 {
        ImageBuffer::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
    } else {
        ImageBuffer::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
    }
    .ok_or_else(|| {
        InputError::Decode(format!(
            "the JPEG decoder returned too few pixels for {w}x{h}"
        ))
    })?;
    Ok(Some(DecodedImage {
        image,
        original_width: width,
        original_height: height,
    }))
}

/// The largest of 8, 4, 2 and 1 that divides `size` into something still at least
/// `cover` on both axes.
pub fn dct_denominator(size: (u32, u32), cover: (u32, u32)) -> u32 {
    [8, 4, 2]
        .into_iter()
        .find(|d| size.0.div_ceil(*d) >= cover.0 && size.1.div_ceil(*d) >= cover.1)
        .unwrap_or(1)
}

fn decode_whole(bytes: &[u8], max_pixels: u64) -> Result<DecodedImage, InputError> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(InputError::Io)?;
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| InputError::Decode(e.to_string()))?;
    check_size(width, height, max_pixels)?;
    reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(InputError::Io)?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(4));
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| InputError::Decode(e.to_string()))?;
    Ok(DecodedImage {
        original_width: image.width(),
        original_height: image.height(),
        image,
    })
}

fn check_size(width: u32, height: u32, max_pixels: u64) -> Result<(), InputError> {
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(InputError::TooLarge {
            width,
            height,
            max: max_pixels,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgb, RgbImage};
    use std::io::Cursor;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        });
        let mut bytes = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg)
            .expect("encode");
        bytes
    }

    #[test]
    fn the_scale_still_covers_the_model_input_on_both_axes() {
        assert_eq!(dct_denominator((1920, 1080), (512, 512)), 2);
        assert_eq!(dct_denominator((3840, 2160), (512, 512)), 4);
        assert_eq!(dct_denominator((4096, 4096), (512, 512)), 8);
        assert_eq!(dct_denominator((640, 424), (512, 512)), 1);
        // A panorama: wide enough for 1/8, but its height allows only 1/2.
        assert_eq!(dct_denominator((8000, 1100), (512, 512)), 2);
    }

    #[test]
    fn a_large_jpeg_decodes_reduced_and_keeps_its_original_size() {
        let decoded = decode(&jpeg(1920, 1080), (512, 512), 1 << 30).expect("decodes");
        assert_eq!(
            (decoded.original_width, decoded.original_height),
            (1920, 1080)
        );
        assert_eq!((decoded.image.width(), decoded.image.height()), (960, 540));
        assert_eq!(decoded.scale(), (2.0, 2.0));
        let small = decode(&jpeg(640, 424), (512, 512), 1 << 30).expect("decodes");
        assert_eq!((small.image.width(), small.image.height()), (640, 424));
    }

    #[test]
    fn oversized_and_broken_images_are_refused_by_name() {
        let err = decode(&jpeg(640, 480), (512, 512), 1000).expect_err("too large");
        assert_eq!(
            err.to_string(),
            "640x480 pixels is more than the 1000 allowed"
        );
        let err = decode(b"\xFF\xD8not a jpeg", (512, 512), 1 << 30).expect_err("broken");
        assert!(matches!(err, InputError::Decode(_)), "{err}");
        let err = decode(b"plain text", (512, 512), 1 << 30).expect_err("not an image");
        assert!(matches!(err, InputError::Decode(_)), "{err}");
    }
}
