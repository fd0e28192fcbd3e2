//! Turning decoded images into model input.

use crate::settings::PixelRange;
use image::imageops::FilterType;
use image::DynamicImage;
use tch::{Kind, Tensor};

/// One image resized for the model, with the size of the original so that boxes can be
/// scaled back to its pixels.
#[derive(Debug)]
pub struct PreparedImage {
    /// `[3, H, W]` float32 RGB in the model's pixel range.
    pub pixels: Tensor,
    pub original_width: u32,
    pub original_height: u32,
}

/// Resizes (plainly, no letterbox: the converted CenterNet was trained that way) and
/// converts to a CHW float tensor.
pub fn prepare(image: &DynamicImage, width: u32, height: u32, range: PixelRange) -> PreparedImage {
    let (original_width, original_height) = (image.width(), image.height());
    let resized = if (original_width, original_height) == (width, height) {
        image.to_rgb8()
    } else {
        // Triangle is bilinear with antialiasing when shrinking, close to what the
        // model saw in training, and much cheaper than Lanczos.
        image
            .resize_exact(width, height, FilterType::Triangle)
            .to_rgb8()
    };
    let hwc = Tensor::from_slice(resized.as_raw()).view([i64::from(height), i64::from(width), 3]);
    let mut pixels = hwc.permute([2, 0, 1]).to_kind(Kind::Float);
    if range == PixelRange::Unit1 {
        pixels /= 255.0;
    }
    PreparedImage {
        pixels,
        original_width,
        original_height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn prepared_images_are_chw_in_the_requested_range() {
        let mut image = RgbImage::new(64, 32);
        for pixel in image.pixels_mut() {
            *pixel = Rgb([255, 128, 0]);
        }
        let image = DynamicImage::ImageRgb8(image);
        let prepared = prepare(&image, 16, 16, PixelRange::Unit255);
        assert_eq!(prepared.pixels.size(), [3, 16, 16]);
        assert_eq!(
            (prepared.original_width, prepared.original_height),
            (64, 32)
        );
        let red = prepared.pixels.get(0).mean(Kind::Float).double_value(&[]);
        let blue = prepared.pixels.get(2).mean(Kind::Float).double_value(&[]);
        assert!((red - 255.0).abs() < 1e-3 && blue.abs() < 1e-3);

        let unit = prepare(&image, 16, 16, PixelRange::Unit1);
        let green = unit.pixels.get(1).mean(Kind::Float).double_value(&[]);
        assert!((green - 128.0 / 255.0).abs() < 1e-3);
    }
}
