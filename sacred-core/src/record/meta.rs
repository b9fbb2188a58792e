//! Sacred's `meta` document: the command, its options as Sacred names them, and the
//! `with` updates.

use serde_json::{Value, json};

use crate::cli::{CaptureMode, Flags, Update};
use crate::config::Resolved;
use crate::secret::mask_url;

/// Sacred's `meta` for a run of `command` with `flags` and `updates`. A `-m` URL is stored
/// with its credentials masked.
pub(crate) fn meta(flags: &Flags, updates: &[Update], command: &str, resolved: &Resolved) -> Value {
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let number = |v: Option<f64>| v.map_or(Value::Null, |n| Value::String(n.to_string()));
    let capture = flags.capture.map(CaptureMode::as_str);
    let tokens: Vec<&str> = updates.iter().map(Update::token).collect();
    let named: Vec<&str> = updates
        .iter()
        .filter_map(|u| match u {
            Update::Named(name) => Some(name.as_str()),
            Update::Set { .. } => None,
        })
        .collect();
    let mut meta = json!({
        "command": command,
        "config_updates": resolved.config_updates(updates),
        "named_configs": named,
        "options": {
            "--beat-interval": number(flags.beat_interval),
            "--capture": capture,
            "--comment": text(&flags.comment),
            "--debug": flags.debug,
            "--enforce_clean": flags.enforce_clean,
            "--file_storage": text(&flags.file_storage),
            "--force": flags.force,
            "--help": false,
            "--id": text(&flags.id),
            "--loglevel": text(&flags.loglevel_given),
            "--mongo_db": flags.mongo_db.as_deref().map(|url| mask_url(url).to_string()),
            "--name": text(&flags.name),
            "--pdb": false,
            "--print-config": flags.print_config,
            "--priority": number(flags.priority),
            "--queue": flags.queue,
            "--s3": null,
            "--sql": null,
            "--tiny_db": null,
            "--unobserved": flags.unobserved,
            "COMMAND": (command != "main").then_some(command),
            "UPDATE": tokens,
            "help": false,
            "with": !updates.is_empty(),
        },
    });
    if let Some(map) = meta.as_object_mut() {
        if let Some(comment) = &flags.comment {
            map.insert("comment".into(), Value::String(comment.clone()));
        }
        if let Some(priority) = flags.priority {
            map.insert("priority".into(), json!(priority));
        }
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::{named, resolve_ok, set};

    #[test]
    fn meta_follows_sacred_and_masks_the_mongo_url() {
        let updates = [set("batch_size=3"), named("small")];
        let (_, resolved) = resolve_ok(&updates);
        let flags = Flags {
            mongo_db: Some(
                "mongodb://u:pw@h/db?tlsCertificateKeyFilePassword=hunter2&w=1".to_owned(),
            ),
            comment: Some("note".to_owned()),
            capture: Some(CaptureMode::Sys),
            loglevel: Some(30),
            loglevel_given: Some("WARNING".to_owned()),
            ..Flags::default()
        };
        let meta = meta(&flags, &updates, "main", &resolved);
        assert_eq!(
            meta["options"]["--mongo_db"],
            "mongodb://u:***@h/db?tlsCertificateKeyFilePassword=***&w=1"
        );
        assert!(!meta.to_string().contains("hunter2"), "{meta}");
        assert!(!meta.to_string().contains(":pw@"), "{meta}");
        assert_eq!(meta["command"], "main");
        assert_eq!(meta["comment"], "note");
        assert_eq!(meta["config_updates"], json!({"batch_size": 3}));
        assert_eq!(meta["named_configs"], json!(["small"]));
        assert_eq!(meta["options"]["UPDATE"], json!(["batch_size=3", "small"]));
        assert_eq!(meta["options"]["--capture"], "sys");
        assert_eq!(meta["options"]["--loglevel"], "WARNING");
        assert_eq!(meta["options"]["COMMAND"], Value::Null);
    }
}
