//! Pictures for vision-language models (`llm.vision = true`): the full frame of the
//! batch's most confident detection, downscaled, then the detections' thumbnails, most
//! confident first, each re-encoded as a JPEG no larger than `llm.vision_max_side`, and
//! all together within `llm.vision_max_images` and `llm.vision_max_bytes` (of base64),
//! so a batch of fifty detections cannot send fifty full frames.

use crate::context::Context;
use base64::Engine as _;
use image::codecs::jpeg::JpegEncoder;
use std::path::Path;

/// One picture in a prompt, as a `data:` URL.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptImage {
    pub data_url: String,
    /// What it shows ("frame of ...", "person 0.91"), for logs and the audit.
    pub label: String,
}

const DATA_URL_PREFIX: &str = "data:image/jpeg;base64,";

impl PromptImage {
    /// The base64 payload without the `data:` prefix (Ollama's `images` take this).
    pub fn base64(&self) -> &str {
        self.data_url
            .strip_prefix(DATA_URL_PREFIX)
            .unwrap_or(&self.data_url)
    }

    /// Bytes it adds to the request.
    pub fn len(&self) -> usize {
        self.data_url.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data_url.is_empty()
    }
}

/// How much may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_images: usize,
    /// Total of the data URLs.
    pub max_bytes: usize,
    /// Longest side of a picture after downscaling.
    pub max_side: u32,
}

/// Reads and encodes the pictures of `context` within `limits` (blocking: file reads and
/// JPEG work; run it off the async threads). A picture that cannot be read is left out
/// with a warning: the judgement goes on without it.
pub fn collect(context: &Context, limits: Limits) -> Vec<PromptImage> {
    let mut by_confidence: Vec<_> = context.detections.iter().collect();
    by_confidence.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let mut sources: Vec<(String, String)> = Vec::new();
    if let Some(best) = by_confidence.first() {
        if is_still(&best.file_path) {
            sources.push((best.file_path.clone(), format!("frame of {}", best.object)));
        }
    }
    for detection in &by_confidence {
        if let Some(path) = &detection.thumbnail_path {
            sources.push((
                path.clone(),
                format!("{} {:.2}", detection.object, detection.confidence),
            ));
        }
    }
    let mut images = Vec::new();
    let mut total = 0;
    for (path, label) in sources {
        if images.len() >= limits.max_images {
            break;
        }
        match encode(Path::new(&path), limits.max_side) {
            Ok(data_url) if total + data_url.len() <= limits.max_bytes => {
                total += data_url.len();
                images.push(PromptImage { data_url, label });
            }
            Ok(data_url) => {
                tracing::debug!(%path, bytes = data_url.len(), total, "picture left out of the prompt: over llm.vision_max_bytes");
            }
            Err(err) => {
                tracing::warn!(%path, error = %err, "picture left out of the prompt: cannot read it");
            }
        }
    }
    images
}

fn is_still(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".jpg", ".jpeg", ".png"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// The picture at `path`, downscaled to `max_side`, as a JPEG data URL.
pub fn encode(path: &Path, max_side: u32) -> Result<String, image::ImageError> {
    let picture = image::ImageReader::open(path)?
        .with_guessed_format()?
        .decode()?;
    let picture = if picture.width().max(picture.height()) > max_side {
        picture.thumbnail(max_side, max_side)
    } else {
        picture
    };
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 80).encode_image(&picture.to_rgb8())?;
    let mut url = String::with_capacity(DATA_URL_PREFIX.len() + jpeg.len() * 4 / 3 + 4);
    url.push_str(DATA_URL_PREFIX);
    base64::engine::general_purpose::STANDARD.encode_string(&jpeg, &mut url);
    Ok(url)
}
