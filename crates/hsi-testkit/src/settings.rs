//! Loading a service's settings from a given environment, for settings tests.

use hsi_core::settings::{SettingsLoader, Validate};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// Loads `S` from defaults and exactly these `HSI__...` variables (not the process's),
/// returning the error message a service would print.
pub fn load_settings<S: DeserializeOwned + Default + Validate>(
    pairs: &[(&str, &str)],
) -> Result<S, String> {
    let env: HashMap<String, String> = pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    SettingsLoader::new()
        .env(env)
        .load::<S>()
        .map(|loaded| loaded.settings)
        .map_err(|err| err.to_string())
}

/// Asserts that each `(variable, value, key)` is refused by `S` with a message naming `key`.
pub fn assert_refused_naming_key<S: DeserializeOwned + Default + Validate>(
    cases: &[(&str, &str, &str)],
) {
    for (variable, value, key) in cases {
        let err = load_settings::<S>(&[(variable, value)])
            .err()
            .unwrap_or_else(|| panic!("{variable}={value} was accepted"));
        assert!(
            err.contains(key),
            "{variable}={value}: {err:?} should name {key}"
        );
    }
}
