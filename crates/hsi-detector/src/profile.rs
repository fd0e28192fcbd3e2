//! Model profiles: what a model needs to be run and read (output layout, input size,
//! pixel range, classes) and the thresholds that suit its scores (kept classes, the
//! confidence a detection needs, the confidence at which one detection takes the fast
//! path). Scores are not comparable across models, so one set of default thresholds
//! cannot fit them all; each model states its own and settings override single values.
//!
//! A profile is a TOML file. `detector.profile = "auto"` reads the one next to the
//! model (`centernet-coco80.pt` -> `centernet-coco80.profile.toml`), else the built-in
//! profile named like the model file; a built-in name or a path picks one explicitly.

use crate::classes::COCO80;
use crate::decode::OutputFormat;
use crate::settings::{DetectorSettings, PixelRange};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The profiles shipped with HSI, by name.
pub const BUILT_IN: [(&str, &str); 3] = [
    (
        "centernet-coco80",
        include_str!("../profiles/centernet-coco80.toml"),
    ),
    (
        "yolov8-coco80",
        include_str!("../profiles/yolov8-coco80.toml"),
    ),
    (
        "rtdetr-coco80",
        include_str!("../profiles/rtdetr-coco80.toml"),
    ),
];

/// The class list of a profile: a known list by name, or the names in model order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClassList {
    Named(String),
    Listed(Vec<String>),
}

/// A model profile as written in its TOML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelProfile {
    pub name: String,
    pub output_format: OutputFormat,
    pub input_width: u32,
    pub input_height: u32,
    pub pixel_range: PixelRange,
    /// `"coco80"` or the class names in model order.
    pub classes: ClassList,
    pub kept_classes: Vec<String>,
    pub min_confidence: f32,
    #[serde(default)]
    pub class_thresholds: BTreeMap<String, f32>,
    /// One detection of a fast-path class at or above this is alerted on at once.
    pub fast_path_min_confidence: f32,
    #[serde(default)]
    pub detr_softmax_background: bool,
}

/// Why no usable profile was found.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read the model profile {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the model profile {origin} is not valid: {message}")]
    Invalid { origin: String, message: String },
    #[error(
        "no profile for the model {model}: write {sidecar}, or set detector.profile to a \
         profile file or one of {known}"
    )]
    NotFound {
        model: String,
        sidecar: String,
        known: String,
    },
    #[error("detector.profile {0:?} is neither a built-in profile ({1}) nor a .toml file")]
    Unknown(String, String),
}

/// Everything the detector runs a model with: its profile with the settings' overrides
/// applied and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    /// Where the profile came from: `built-in centernet-coco80` or a file.
    pub profile: String,
    pub output_format: OutputFormat,
    pub input_width: u32,
    pub input_height: u32,
    pub pixel_range: PixelRange,
    pub class_names: Vec<String>,
    pub kept_classes: Vec<String>,
    pub min_confidence: f32,
    pub class_thresholds: BTreeMap<String, f32>,
    pub fast_path_min_confidence: f32,
    pub detr_softmax_background: bool,
}

impl ModelConfig {
    /// The confidence a detection of `class` needs to be kept.
    pub fn threshold_for(&self, class: &str) -> f32 {
        self.class_thresholds
            .get(class)
            .copied()
            .unwrap_or(self.min_confidence)
    }
}

fn known_names() -> String {
    BUILT_IN
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a profile's TOML; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<ModelProfile, ProfileError> {
    toml::from_str(text).map_err(|err| ProfileError::Invalid {
        origin: origin.to_owned(),
        message: err.to_string().trim().to_owned(),
    })
}

/// A built-in profile by name.
pub fn built_in(name: &str) -> Option<ModelProfile> {
    BUILT_IN
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(known, text)| parse(text, known).expect("built-in profiles parse (tested)"))
}

/// The file `auto` looks for next to a model.
pub fn sidecar_path(model: &Path) -> PathBuf {
    model.with_extension("profile.toml")
}

/// Finds the profile `choice` (`auto`, a built-in name or a `.toml` path) names for `model`.
pub fn find(choice: &str, model: &Path) -> Result<(ModelProfile, String), ProfileError> {
    let from_file = |path: &Path| {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let origin = path.display().to_string();
        parse(&text, &origin).map(|profile| (profile, origin))
    };
    let choice = choice.trim();
    if choice == "auto" {
        let sidecar = sidecar_path(model);
        if sidecar.exists() {
            return from_file(&sidecar);
        }
        let stem = model.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        return built_in(stem)
            .map(|profile| (profile, format!("built-in {stem}")))
            .ok_or_else(|| ProfileError::NotFound {
                model: model.display().to_string(),
                sidecar: sidecar.display().to_string(),
                known: known_names(),
            });
    }
    if let Some(profile) = built_in(choice) {
        return Ok((profile, format!("built-in {choice}")));
    }
    if choice.ends_with(".toml") {
        return from_file(Path::new(choice));
    }
    Err(ProfileError::Unknown(choice.to_owned(), known_names()))
}

/// Applies the settings' overrides to the profile and checks the result; errors name
/// the setting or the profile field that is wrong.
pub fn resolve(settings: &DetectorSettings) -> Result<ModelConfig, ProfileError> {
    let (profile, origin) = find(&settings.profile, &settings.model_path)?;
    let invalid = |message: String| ProfileError::Invalid {
        origin: origin.clone(),
        message,
    };
    let class_names = if !settings.class_names.is_empty() {
        settings.class_names.clone()
    } else {
        match &profile.classes {
            ClassList::Named(name) if name == "coco80" => {
                COCO80.iter().map(|s| (*s).to_owned()).collect()
            }
            ClassList::Named(name) => {
                return Err(invalid(format!(
                    "classes = {name:?} is not a known list (coco80) or a list of names"
                )))
            }
            ClassList::Listed(names) => names.clone(),
        }
    };
    let mut class_thresholds = profile.class_thresholds.clone();
    class_thresholds.extend(settings.class_thresholds.clone());
    let config = ModelConfig {
        profile: origin.clone(),
        output_format: settings.output_format.unwrap_or(profile.output_format),
        input_width: settings.input_width.unwrap_or(profile.input_width),
        input_height: settings.input_height.unwrap_or(profile.input_height),
        pixel_range: settings.pixel_range.unwrap_or(profile.pixel_range),
        kept_classes: if settings.kept_classes.is_empty() {
            profile.kept_classes.clone()
        } else {
            settings.kept_classes.clone()
        },
        class_names,
        min_confidence: settings.min_confidence.unwrap_or(profile.min_confidence),
        class_thresholds,
        fast_path_min_confidence: settings
            .fast_path_min_confidence
            .unwrap_or(profile.fast_path_min_confidence),
        detr_softmax_background: settings
            .detr_softmax_background
            .unwrap_or(profile.detr_softmax_background),
    };
    check(&config).map_err(invalid)?;
    Ok(config)
}

fn check(config: &ModelConfig) -> Result<(), String> {
    let unit = |value: f32| (0.0..=1.0).contains(&value);
    if config.class_names.is_empty() {
        return Err("the class list is empty".to_owned());
    }
    for (name, value) in [
        ("min_confidence", config.min_confidence),
        ("fast_path_min_confidence", config.fast_path_min_confidence),
    ] {
        if !unit(value) {
            return Err(format!("{name} {value} is outside 0..=1"));
        }
    }
    for (class, threshold) in &config.class_thresholds {
        if !unit(*threshold) {
            return Err(format!(
                "class_thresholds.{class} {threshold} is outside 0..=1"
            ));
        }
        if !config.class_names.contains(class) {
            return Err(format!(
                "class_thresholds.{class}: {class:?} is not one of the model's classes"
            ));
        }
    }
    if let Some(unknown) = config
        .kept_classes
        .iter()
        .find(|c| !config.class_names.contains(c))
    {
        return Err(format!(
            "kept_classes: {unknown:?} is not one of the model's classes"
        ));
    }
    if config.input_width == 0 || config.input_height == 0 {
        return Err("the input size must be at least 1x1".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_profile_parses_and_resolves() {
        for (name, _) in BUILT_IN {
            let profile = built_in(name).expect("known");
            assert_eq!(profile.name, name);
            let settings = DetectorSettings {
                profile: name.to_owned(),
                ..DetectorSettings::default()
            };
            let config = resolve(&settings).expect("resolves");
            assert!(
                config.fast_path_min_confidence > config.min_confidence,
                "{name}"
            );
        }
    }

    #[test]
    fn the_default_model_gets_the_centernet_profile_and_settings_override_it() {
        let settings = DetectorSettings::default();
        let config = resolve(&settings).expect("default model has a profile");
        assert_eq!(config.profile, "built-in centernet-coco80");
        assert_eq!(config.output_format, OutputFormat::Centernet);
        assert_eq!((config.input_width, config.input_height), (512, 512));
        assert_eq!(config.threshold_for("person"), 0.35);
        assert_eq!(config.threshold_for("car"), 0.3);

        let mut settings = DetectorSettings {
            min_confidence: Some(0.5),
            fast_path_min_confidence: Some(0.9),
            ..DetectorSettings::default()
        };
        settings.class_thresholds.insert("person".into(), 0.4);
        let config = resolve(&settings).expect("resolves");
        assert_eq!(config.threshold_for("person"), 0.4);
        assert_eq!(config.threshold_for("car"), 0.5);
        assert_eq!(
            config.threshold_for("bird"),
            0.45,
            "the profile's own stays"
        );
        assert_eq!(config.fast_path_min_confidence, 0.9);
    }

    #[test]
    fn a_custom_model_states_its_own_profile_next_to_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let model = dir.path().join("doorbell-v2.pt");
        let settings = DetectorSettings {
            model_path: model.clone(),
            ..DetectorSettings::default()
        };
        let err = resolve(&settings).expect_err("no profile yet");
        assert!(
            err.to_string().contains("doorbell-v2.profile.toml"),
            "the error says what to write: {err}"
        );
        std::fs::write(
            sidecar_path(&model),
            r#"name = "doorbell-v2"
output_format = "yolo"
input_width = 320
input_height = 320
pixel_range = "unit1"
classes = ["person", "parcel"]
kept_classes = ["person", "parcel"]
min_confidence = 0.4
fast_path_min_confidence = 0.75
"#,
        )
        .expect("profile written");
        let config = resolve(&settings).expect("resolves");
        assert_eq!(config.class_names, ["person", "parcel"]);
        assert_eq!(config.input_width, 320);
        assert_eq!(config.fast_path_min_confidence, 0.75);

        std::fs::write(
            sidecar_path(&model),
            "name = \"x\"\noutput_format = \"yolo\"\ninput_width = 320\ninput_height = 320\n\
             pixel_range = \"unit1\"\nclasses = [\"person\"]\nkept_classes = [\"parcel\"]\n\
             min_confidence = 0.4\nfast_path_min_confidence = 0.75\n",
        )
        .expect("profile written");
        let err = resolve(&settings).expect_err("unknown kept class");
        assert!(
            err.to_string().contains("kept_classes: \"parcel\""),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_profile_name_is_refused_by_name() {
        let settings = DetectorSettings {
            profile: "yolov99".into(),
            ..DetectorSettings::default()
        };
        let err = resolve(&settings).expect_err("unknown");
        assert!(err.to_string().contains("\"yolov99\""), "{err}");
        assert!(err.to_string().contains("centernet-coco80"), "{err}");
    }
}
