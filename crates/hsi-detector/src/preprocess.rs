//! Turning decoded images into model input.
//!
//! The CPU side only decodes (at a reduced JPEG scale where that still covers the
//! model's input, see [`crate::input`]) and hands over `u8` pixels: a quarter of the bytes
//! of `f32`. Resizing, the conversion to the model's number format and its pixel range
//! happen on the model's device, for the whole batch, in [`DeviceBatch`].

use crate::settings::PixelRange;
use image::DynamicImage;
use tch::{Device, Kind, Tensor};

/// One decoded image on its way to the model, with the size of the original so that
/// boxes can be scaled back to its pixels.
#[derive(Debug)]
pub struct PreparedImage {
    /// `[H, W, 3]` RGB `u8` at the size it was decoded at.
    pub pixels: Tensor,
    pub original_width: u32,
    pub original_height: u32,
}

/// Wraps a decoded image whose size is the original's.
pub fn prepare(image: &DynamicImage) -> PreparedImage {
    prepare_scaled(image, image.width(), image.height())
}

/// Wraps an image decoded at a reduced scale of an `original_width` x `original_height`
/// original.
pub fn prepare_scaled(
    image: &DynamicImage,
    original_width: u32,
    original_height: u32,
) -> PreparedImage {
    let rgb = match image {
        DynamicImage::ImageRgb8(rgb) => std::borrow::Cow::Borrowed(rgb),
        other => std::borrow::Cow::Owned(other.to_rgb8()),
    };
    let (w, h) = (i64::from(rgb.width()), i64::from(rgb.height()));
    let pixels = Tensor::from_slice(rgb.as_raw()).view([h, w, 3]);
    PreparedImage {
        pixels,
        original_width,
        original_height,
    }
}

/// How a batch becomes model input on the model's device.
#[derive(Debug, Clone, Copy)]
pub struct InputSpec {
    pub device: Device,
    /// The number format the model runs in.
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
    pub range: PixelRange,
}

/// A batch on the model's device, ready for the forward pass.
#[derive(Debug)]
pub struct DeviceBatch {
    /// `[N, 3, H, W]` in the model's kind and pixel range.
    pub input: Tensor,
}

impl InputSpec {
    /// Uploads the images' `u8` pixels (from pinned memory on CUDA, without waiting for
    /// the copy), then resizes each on the device (bilinear with antialiasing when
    /// shrinking, like the triangle filter the model saw in training, no letterbox) and
    /// converts the batch to the model's kind and pixel range.
    pub fn upload(&self, images: &[PreparedImage]) -> Result<DeviceBatch, tch::TchError> {
        let _no_grad = tch::no_grad_guard();
        let (h, w) = (i64::from(self.height), i64::from(self.width));
        let mut resized = Vec::with_capacity(images.len());
        for image in images {
            let pixels = if self.device.is_cuda() {
                // Pinned pages let the copy run asynchronously, overlapping whatever
                // the device is busy with.
                image.pixels.f_pin_memory(self.device)?.f_to_device_(
                    self.device,
                    Kind::Uint8,
                    true,
                    false,
                )?
            } else {
                image.pixels.shallow_clone()
            };
            // `[1, 3, H, W]` as a view of HWC memory: channels-last, the layout the
            // resize kernels are fastest in.
            let nchw = pixels.f_permute([2, 0, 1])?.f_unsqueeze(0)?;
            let size = nchw.size();
            let fitted = if size[2] == h && size[3] == w {
                nchw.f_to_kind(Kind::Float)?
            } else if self.device.is_cuda() {
                nchw.f_to_kind(Kind::Float)?
                    .f_internal_upsample_bilinear2d_aa([h, w], false, None, None)?
            } else {
                // The CPU resizes `u8` directly (an AVX2 kernel, several times faster
                // than resizing floats), then converts the small result.
                nchw.f_internal_upsample_bilinear2d_aa([h, w], false, None, None)?
                    .f_to_kind(Kind::Float)?
            };
            // Back to NHWC so that the batch below is built in that memory order.
            resized.push(fitted.f_permute([0, 2, 3, 1])?);
        }
        // An NHWC batch seen as NCHW (channels-last): this MobileNet's convolutions run
        // about 20% faster in that layout on the CPU than in contiguous NCHW, and on
        // CUDA it is the tensor cores' layout.
        let mut input = Tensor::f_cat(&resized, 0)?.f_permute([0, 3, 1, 2])?;
        if self.range == PixelRange::Unit1 {
            input = input.f_div_scalar(255.0)?;
        } else {
            // Antialiased resizing overshoots a little at sharp edges; the model saw
            // pixels within 0..255.
            input = input.f_clamp(0.0, 255.0)?;
        }
        if self.kind != Kind::Float {
            input = input.f_to_kind(self.kind)?;
        }
        Ok(DeviceBatch { input })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn spec(range: PixelRange, kind: Kind) -> InputSpec {
        InputSpec {
            device: Device::Cpu,
            kind,
            width: 16,
            height: 16,
            range,
        }
    }

    #[test]
    fn batches_are_nchw_in_the_requested_range_and_kind() {
        let mut image = RgbImage::new(64, 32);
        for pixel in image.pixels_mut() {
            *pixel = Rgb([255, 128, 0]);
        }
        let image = DynamicImage::ImageRgb8(image);
        let prepared = prepare(&image);
        assert_eq!(prepared.pixels.size(), [32, 64, 3]);
        assert_eq!(prepared.pixels.kind(), Kind::Uint8);
        assert_eq!(
            (prepared.original_width, prepared.original_height),
            (64, 32)
        );
        let small = prepare(&DynamicImage::new_rgb8(16, 16));
        let batch = spec(PixelRange::Unit255, Kind::Float)
            .upload(&[prepared, small])
            .expect("upload");
        assert_eq!(batch.input.size(), [2, 3, 16, 16]);
        assert_eq!(
            batch.input.stride(),
            [16 * 16 * 3, 1, 16 * 3, 3],
            "channels-last, the layout the model runs fastest in"
        );
        let first = batch.input.get(0);
        let red = first.get(0).mean(Kind::Float).double_value(&[]);
        let blue = first.get(2).mean(Kind::Float).double_value(&[]);
        assert!(
            (red - 255.0).abs() < 1e-3 && blue.abs() < 1e-3,
            "{red} {blue}"
        );

        let unit = spec(PixelRange::Unit1, Kind::Half)
            .upload(&[prepare(&image)])
            .expect("upload");
        assert_eq!(unit.input.kind(), Kind::Half);
        let green = unit.input.get(0).get(1).mean(Kind::Float).double_value(&[]);
        assert!((green - 128.0 / 255.0).abs() < 1e-3, "{green}");
    }
}
