//! Rendering a rule's `dedup_key_template`.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

/// `alerts.dedup_key` is a varchar(255).
pub(crate) const MAX_KEY_CHARS: usize = 255;

/// The values a template may refer to.
#[derive(Debug, Clone, Copy)]
pub struct TemplateValues<'a> {
    pub camera_id: &'a str,
    pub rule_id: &'a str,
    /// Class of the highest-confidence qualifying detection; empty if none.
    pub object_type: &'a str,
    /// Zone of that detection; empty if none.
    pub zone_id: &'a str,
    pub severity: &'a str,
}

impl TemplateValues<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        match name {
            "camera_id" => Some(self.camera_id),
            "rule_id" => Some(self.rule_id),
            "object_type" => Some(self.object_type),
            "zone_id" => Some(self.zone_id),
            "severity" => Some(self.severity),
            _ => None,
        }
    }
}

/// Replaces `{name}` placeholders. Unknown placeholders and unmatched braces are kept
/// verbatim (each unknown one is logged once per process, not once per event). A key
/// longer than the column allows is shortened and suffixed with a hash of the whole key,
/// so distinct long keys stay distinct.
pub fn render_dedup_key(template: &str, values: &TemplateValues<'_>) -> String {
    let rendered = substitute(template, |name| {
        let value = values.get(name);
        if value.is_none() {
            warn_unknown_once(template, name);
        }
        value
    });
    shorten(rendered)
}

/// The placeholders of `template` that name no value (they would stay verbatim).
pub(crate) fn unknown_placeholders(template: &str) -> Vec<String> {
    let probe = TemplateValues {
        camera_id: "",
        rule_id: "",
        object_type: "",
        zone_id: "",
        severity: "",
    };
    let mut unknown = Vec::new();
    substitute(template, |name| {
        let value = probe.get(name);
        if value.is_none() {
            unknown.push(name.to_owned());
        }
        value
    });
    unknown
}

/// The names a template may refer to, for messages.
pub(crate) const PLACEHOLDERS: &str =
    "{camera_id}, {rule_id}, {object_type}, {zone_id}, {severity}";

/// Replaces each `{name}` by `value_of(name)`, keeping it verbatim when that is `None`.
fn substitute<'v>(template: &str, mut value_of: impl FnMut(&str) -> Option<&'v str>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after
            .find(['}', '{'])
            .filter(|&i| after.as_bytes()[i] == b'}')
        else {
            // No closing brace before the next opening one: the brace is literal text.
            out.push('{');
            rest = after;
            continue;
        };
        let name = &after[..close];
        match value_of(name) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

fn warn_unknown_once(template: &str, placeholder: &str) {
    static LOGGED: OnceLock<Mutex<HashSet<(String, String)>>> = OnceLock::new();
    let logged = LOGGED.get_or_init(Default::default);
    // A poisoned set only means a panic elsewhere; logging once more is harmless.
    let mut logged = logged
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if logged.insert((template.to_owned(), placeholder.to_owned())) {
        tracing::warn!(
            template,
            placeholder,
            "unknown placeholder in dedup key template left as is"
        );
    }
}

fn shorten(key: String) -> String {
    if key.chars().count() <= MAX_KEY_CHARS {
        return key;
    }
    let suffix = format!("~{:016x}", fnv1a(key.as_bytes()));
    let kept: String = key.chars().take(MAX_KEY_CHARS - suffix.len()).collect();
    kept + &suffix
}

/// FNV-1a: stable across processes and releases, which replicas comparing keys need.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: TemplateValues<'static> = TemplateValues {
        camera_id: "front_door",
        rule_id: "r1",
        object_type: "person",
        zone_id: "porch",
        severity: "high",
    };

    #[test]
    fn every_placeholder_is_replaced() {
        assert_eq!(
            render_dedup_key(
                "{camera_id}:{rule_id}:{object_type}:{zone_id}:{severity}",
                &VALUES
            ),
            "front_door:r1:person:porch:high"
        );
        assert_eq!(
            render_dedup_key("{camera_id}:{rule_id}", &VALUES),
            "front_door:r1"
        );
        assert_eq!(render_dedup_key("static", &VALUES), "static");
    }

    #[test]
    fn empty_values_render_empty() {
        let values = TemplateValues {
            object_type: "",
            zone_id: "",
            ..VALUES
        };
        assert_eq!(
            render_dedup_key("{camera_id}/{object_type}/{zone_id}", &values),
            "front_door//"
        );
    }

    #[test]
    fn unknown_placeholders_and_stray_braces_stay_verbatim() {
        assert_eq!(
            render_dedup_key("{camera_id}:{event_id}", &VALUES),
            "front_door:{event_id}"
        );
        assert_eq!(render_dedup_key("{{rule_id}}", &VALUES), "{r1}");
        assert_eq!(render_dedup_key("a{b", &VALUES), "a{b");
        assert_eq!(render_dedup_key("}{", &VALUES), "}{");
        assert_eq!(render_dedup_key("{}", &VALUES), "{}");
        assert_eq!(render_dedup_key("{zone_id", &VALUES), "{zone_id");
    }

    #[test]
    fn unknown_placeholders_are_listed() {
        assert!(unknown_placeholders("{camera_id}:{rule_id}:{severity}").is_empty());
        assert_eq!(
            unknown_placeholders("{camera_id}:{event_id}:{}:{zone}"),
            ["event_id", "", "zone"]
        );
        assert!(unknown_placeholders("a{b").is_empty());
        assert!(unknown_placeholders("}{").is_empty());
    }

    #[test]
    fn long_keys_fit_the_column_and_stay_distinct() {
        let long_a = "a".repeat(300);
        let long_b = format!("{}b", "a".repeat(299));
        let key_a = render_dedup_key(&long_a, &VALUES);
        let key_b = render_dedup_key(&long_b, &VALUES);
        assert_eq!(key_a.chars().count(), MAX_KEY_CHARS);
        assert_ne!(key_a, key_b);
        assert_eq!(key_a, render_dedup_key(&long_a, &VALUES), "deterministic");
    }
}
