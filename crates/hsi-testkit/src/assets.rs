//! Files that `scripts/bootstrap` puts in the cache: sample photos, models.

use std::path::PathBuf;

/// `$HSI_CACHE`, default `~/.cache/hsi`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("HSI_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/hsi")))
        .expect("HSI_CACHE or HOME must be set")
}

/// A sample photo from Debian's darknet package (`person.jpg`, `dog.jpg`, `horses.jpg`,
/// `kite.jpg`, `giraffe.jpg`, `eagle.jpg`, `scream.jpg`).
pub fn photo(name: &str) -> PathBuf {
    let path = cache_dir().join("photos").join(name);
    assert!(
        path.is_file(),
        "sample photo {} is missing: run scripts/bootstrap",
        path.display()
    );
    path
}

/// The default detector, converted to TorchScript by `scripts/lib/prepare-models`.
pub fn centernet_model() -> PathBuf {
    let path = cache_dir().join("models/centernet-coco80.pt");
    assert!(
        path.is_file(),
        "detector model {} is missing: run scripts/lib/prepare-models (scripts/test does)",
        path.display()
    );
    path
}
