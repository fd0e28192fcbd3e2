//! Camera identifiers derived from upload folder names.

/// Longest identifier produced; matches the width of the `cameras.id` column.
pub const MAX_CAMERA_ID_LEN: usize = 100;

/// Turns a camera's upload folder name into its camera id.
///
/// The file watcher relies on `camera.id == normalize_camera_id(folder_name)`, so this
/// must be stable and idempotent: lowercase ASCII letters and digits are kept, every
/// other run of characters (spaces, dashes, punctuation, non-ASCII) becomes a single
/// underscore, and underscores never lead, trail or repeat. Non-ASCII letters are not
/// transliterated: "Café" becomes "caf", which is still a stable id. A name with no
/// ASCII letter or digit at all yields an empty string, which callers must refuse.
pub fn normalize_camera_id(folder_name: &str) -> String {
    let mut id = String::with_capacity(folder_name.len().min(MAX_CAMERA_ID_LEN));
    let mut pending_separator = false;
    for ch in folder_name.chars() {
        if ch.is_ascii_alphanumeric() {
            if pending_separator && !id.is_empty() {
                if id.len() + 1 >= MAX_CAMERA_ID_LEN {
                    break;
                }
                id.push('_');
            }
            pending_separator = false;
            if id.len() >= MAX_CAMERA_ID_LEN {
                break;
            }
            id.push(ch.to_ascii_lowercase());
        } else {
            pending_separator = true;
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn documented_examples() {
        assert_eq!(normalize_camera_id("Front Door"), "front_door");
        assert_eq!(normalize_camera_id("  back-yard  2 "), "back_yard_2");
        assert_eq!(normalize_camera_id("garage"), "garage");
        assert_eq!(normalize_camera_id("Garage__Side..Cam"), "garage_side_cam");
        assert_eq!(normalize_camera_id("front_door"), "front_door");
        assert_eq!(normalize_camera_id("Café Terrasse"), "caf_terrasse");
        assert_eq!(normalize_camera_id("___"), "");
        assert_eq!(normalize_camera_id(""), "");
    }

    #[test]
    fn long_names_are_cut_to_the_column_width_without_a_trailing_underscore() {
        let name = "a ".repeat(200);
        let id = normalize_camera_id(&name);
        assert!(id.len() <= MAX_CAMERA_ID_LEN);
        assert!(!id.ends_with('_'));
        assert_eq!(normalize_camera_id(&id), id);
    }

    proptest! {
        #[test]
        fn is_idempotent(name in "\\PC{0,80}") {
            let once = normalize_camera_id(&name);
            prop_assert_eq!(normalize_camera_id(&once), once.clone());
        }

        #[test]
        fn uses_only_lowercase_ascii_digits_and_single_inner_underscores(name in "\\PC{0,300}") {
            let id = normalize_camera_id(&name);
            prop_assert!(id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
            prop_assert!(!id.starts_with('_'));
            prop_assert!(!id.ends_with('_'));
            prop_assert!(!id.contains("__"));
            prop_assert!(id.len() <= MAX_CAMERA_ID_LEN);
        }

        #[test]
        fn keeps_every_ascii_alphanumeric_of_short_names(name in "[ -~]{0,60}") {
            let id = normalize_camera_id(&name);
            let kept: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
            prop_assert_eq!(id.replace('_', ""), kept);
        }
    }
}
