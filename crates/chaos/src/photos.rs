//! The files a run drops into the camera folders: distinct JPEGs made from the sample
//! photos (mild crops, flips and rescales that keep their people, animals and vehicles
//! in the picture), and empty scenes in which the detector finds nothing.

use image::imageops::FilterType;
use image::{DynamicImage, RgbImage};
use std::io::Cursor;
use std::path::Path;

/// Sample photos with objects the detector keeps (person, dog, horse, bird, car ...).
const SOURCES: [&str; 5] = [
    "person.jpg",
    "dog.jpg",
    "horses.jpg",
    "kite.jpg",
    "eagle.jpg",
];

/// One generated file.
#[derive(Debug, Clone)]
pub struct Photo {
    pub name: String,
    pub bytes: Vec<u8>,
    /// An empty scene: nothing in it to detect.
    pub empty: bool,
}

/// A small xorshift, so a run is the same every time without a dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// `count` distinct photos from the samples in `photos`, one in `empty_every` an empty
/// scene (0: none).
pub fn generate(
    photos: &Path,
    count: usize,
    empty_every: usize,
    rng: &mut Rng,
) -> Result<Vec<Photo>, String> {
    generate_from(photos, &SOURCES, count, empty_every, rng)
}

/// `count` distinct photos of the sample with a person in it (for the fast path).
pub fn people(photos: &Path, count: usize, rng: &mut Rng) -> Result<Vec<Photo>, String> {
    generate_from(photos, &["person.jpg"], count, 0, rng)
}

fn generate_from(
    photos: &Path,
    names: &[&str],
    count: usize,
    empty_every: usize,
    rng: &mut Rng,
) -> Result<Vec<Photo>, String> {
    let sources = names
        .iter()
        .map(|name| {
            let path = photos.join(name);
            image::open(&path).map_err(|err| format!("{}: {err}", path.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    (0..count)
        .map(|n| {
            let empty = empty_every > 0 && n % empty_every == empty_every - 1;
            let picture = if empty {
                empty_scene(n, rng)
            } else {
                variant(&sources[n % sources.len()], rng)
            };
            Ok(Photo {
                name: format!("{:05}.jpg", n),
                bytes: jpeg(&picture)?,
                empty,
            })
        })
        .collect()
}

fn variant(source: &DynamicImage, rng: &mut Rng) -> DynamicImage {
    let (w, h) = (source.width(), source.height());
    let keep = 88 + rng.below(13) as u32; // 88..100 % of each side: the objects stay
    let (cw, ch) = (w * keep / 100, h * keep / 100);
    let x = rng.below(u64::from(w - cw + 1)) as u32;
    let y = rng.below(u64::from(h - ch + 1)) as u32;
    let mut picture = source.crop_imm(x, y, cw, ch);
    if rng.below(2) == 0 {
        picture = picture.fliph();
    }
    let width = 512 + rng.below(513) as u32;
    let height = (u64::from(width) * u64::from(ch) / u64::from(cw)).max(1) as u32;
    picture.resize_exact(width, height, FilterType::Triangle)
}

/// A soft gradient with a little noise: a wall, a sky, an empty driveway at night.
fn empty_scene(n: usize, rng: &mut Rng) -> DynamicImage {
    let (w, h) = (640, 480);
    let base = (n % 200) as u8;
    let picture = RgbImage::from_fn(w, h, |x, y| {
        let noise = (rng.below(9)) as u8;
        let shade = base
            .saturating_add((y * 40 / h) as u8)
            .saturating_add(noise);
        image::Rgb([shade, shade.saturating_add((x * 20 / w) as u8), shade])
    });
    DynamicImage::ImageRgb8(picture)
}

fn jpeg(picture: &DynamicImage) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    picture
        .to_rgb8()
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
        .map_err(|err| err.to_string())?;
    Ok(bytes)
}
