//! What a path under the camera root says before the file is opened: whether it is a
//! temporary upload name, which camera it belongs to and what kind of media it is.

use crate::refusal::Refusal;
use crate::settings::WatcherSettings;
use hsi_core::normalize_camera_id;
use hsi_proto::v1::MediaKind;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Suffixes that upload clients (FTP servers, browsers, editors) give a file while it is
/// still being written; the finished file is renamed without them.
const TEMPORARY_SUFFIXES: [&[u8]; 5] = [b".part", b".tmp", b".filepart", b".crdownload", b".swp"];

/// True for hidden names and for names that mark an upload still in progress.
pub fn is_ignored_name(name: &OsStr) -> bool {
    let bytes = name.as_bytes();
    if bytes.first() == Some(&b'.') || bytes.last() == Some(&b'~') {
        return true;
    }
    TEMPORARY_SUFFIXES.iter().any(|suffix| {
        bytes.len() >= suffix.len()
            && bytes[bytes.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    })
}

/// True when `path` or any folder between it and `root` has a hidden or temporary name,
/// so a `.thumbnails` folder or an upload in progress is never looked at.
pub fn is_ignored_path(root: &Path, path: &Path) -> bool {
    match path.strip_prefix(root) {
        Ok(relative) => relative.components().any(|component| match component {
            Component::Normal(name) => is_ignored_name(name),
            _ => false,
        }),
        Err(_) => false,
    }
}

/// The camera that a folder directly under the root stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraFolder {
    /// `normalize_camera_id(name)`.
    pub id: String,
    /// The folder name as written (lossy where it is not UTF-8).
    pub name: String,
    /// The folder's full path.
    pub path: PathBuf,
}

/// The camera of `path`: the first path component under `root`. `path` may be the
/// camera folder itself or anything below it.
pub fn camera_folder(root: &Path, path: &Path) -> Result<CameraFolder, Refusal> {
    let relative = path
        .strip_prefix(root)
        .map_err(|_| Refusal::NotInCameraFolder)?;
    let Some(Component::Normal(folder)) = relative.components().next() else {
        return Err(Refusal::NotInCameraFolder);
    };
    let name = folder.to_string_lossy().into_owned();
    let id = normalize_camera_id(&name);
    if id.is_empty() {
        return Err(Refusal::BadCameraFolder(name));
    }
    Ok(CameraFolder {
        id,
        name,
        path: root.join(folder),
    })
}

/// The camera of a file, which must lie inside a camera folder (not in the root itself).
pub fn camera_of_file(root: &Path, path: &Path) -> Result<CameraFolder, Refusal> {
    let depth = path
        .strip_prefix(root)
        .map_err(|_| Refusal::NotInCameraFolder)?
        .components()
        .count();
    if depth < 2 {
        return Err(Refusal::NotInCameraFolder);
    }
    camera_folder(root, path)
}

/// The media kind and the lowercase extension of a file, from its name.
pub fn media_kind(path: &Path, settings: &WatcherSettings) -> Result<(MediaKind, String), Refusal> {
    let extension = path
        .extension()
        .map(|ext| ext.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let listed = |list: &[String]| {
        list.iter()
            .any(|item| item.eq_ignore_ascii_case(&extension))
    };
    if extension.is_empty() {
        Err(Refusal::UnknownExtension(extension))
    } else if listed(&settings.image_extensions) {
        Ok((MediaKind::Image, extension))
    } else if listed(&settings.video_extensions) {
        Ok((MediaKind::Video, extension))
    } else {
        Err(Refusal::UnknownExtension(extension))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(bytes: &[u8]) -> &OsStr {
        OsStr::from_bytes(bytes)
    }

    #[test]
    fn hidden_and_temporary_names_are_ignored() {
        for name in [
            ".hidden.jpg",
            "x.jpg~",
            "x.jpg.part",
            "x.JPG.PART",
            "x.tmp",
            "x.jpg.filepart",
            "x.crdownload",
            ".x.swp",
            "x.swp",
        ] {
            assert!(is_ignored_name(os(name.as_bytes())), "{name}");
        }
        for name in ["x.jpg", "part.jpg", "photo tmp.jpg", "été.jpg"] {
            assert!(!is_ignored_name(os(name.as_bytes())), "{name}");
        }
        assert!(!is_ignored_name(os(b"cam\xff.jpg")));
    }

    #[test]
    fn hidden_folders_hide_what_they_hold() {
        let root = Path::new("/cams");
        assert!(is_ignored_path(root, Path::new("/cams/door/.thumbs/a.jpg")));
        assert!(is_ignored_path(root, Path::new("/cams/.trash/a.jpg")));
        assert!(!is_ignored_path(root, Path::new("/cams/door/2024/a.jpg")));
    }

    #[test]
    fn the_camera_is_the_first_folder_under_the_root() {
        let root = Path::new("/srv/cams");
        let camera =
            camera_of_file(root, Path::new("/srv/cams/Front Door/2024/01/a.jpg")).expect("camera");
        assert_eq!(camera.id, "front_door");
        assert_eq!(camera.name, "Front Door");
        assert_eq!(camera.path, Path::new("/srv/cams/Front Door"));
        let folder = camera_folder(root, Path::new("/srv/cams/Back Yard 2")).expect("folder");
        assert_eq!(folder.id, "back_yard_2");
    }

    #[test]
    fn files_outside_a_usable_camera_folder_are_refused() {
        let root = Path::new("/srv/cams");
        assert_eq!(
            camera_of_file(root, Path::new("/srv/cams/a.jpg")),
            Err(Refusal::NotInCameraFolder)
        );
        assert_eq!(
            camera_of_file(root, Path::new("/elsewhere/cam/a.jpg")),
            Err(Refusal::NotInCameraFolder)
        );
        assert_eq!(
            camera_of_file(root, Path::new("/srv/cams/___/a.jpg")),
            Err(Refusal::BadCameraFolder("___".into()))
        );
    }

    #[test]
    fn non_utf8_folder_names_still_give_an_id() {
        let root = Path::new("/c");
        let path = Path::new(os(b"/c/Gar\xffage/a.jpg"));
        assert_eq!(camera_of_file(root, path).expect("camera").id, "gar_age");
    }

    #[test]
    fn extensions_decide_the_media_kind() {
        let settings = WatcherSettings::default();
        let kind = |name: &str| media_kind(Path::new(name), &settings);
        assert_eq!(kind("a.JPG"), Ok((MediaKind::Image, "jpg".into())));
        assert_eq!(kind("a.png"), Ok((MediaKind::Image, "png".into())));
        assert_eq!(kind("clip.Mp4"), Ok((MediaKind::Video, "mp4".into())));
        assert_eq!(
            kind("notes.txt"),
            Err(Refusal::UnknownExtension("txt".into()))
        );
        assert_eq!(
            kind("README"),
            Err(Refusal::UnknownExtension(String::new()))
        );
    }
}
