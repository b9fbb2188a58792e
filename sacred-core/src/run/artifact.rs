//! Options for artifacts, and the content type guessed from an artifact's name.

use std::path::Path;

use serde::Serialize;

use crate::Error;

/// Artifacts up to this size are read when added; larger ones are copied later, from
/// their path.
pub(crate) const SNAPSHOT_LIMIT: u64 = 64 * 1024 * 1024;

/// Options for [`Run::add_artifact_with`](crate::Run::add_artifact_with).
#[derive(Debug, Clone, Default)]
pub struct ArtifactOptions {
    pub(super) name: Option<String>,
    pub(super) content_type: Option<String>,
    pub(super) metadata: Option<serde_json::Value>,
}

impl ArtifactOptions {
    /// No options: the file's name, a content type guessed from its extension, no metadata.
    pub fn new() -> Self {
        Self::default()
    }

    /// The artifact's name in the run (a plain file name).
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The artifact's MIME type.
    #[must_use]
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Free-form metadata stored with the artifact.
    ///
    /// # Errors
    /// The value cannot be serialised.
    pub fn metadata(mut self, metadata: impl Serialize) -> Result<Self, Error> {
        let value = serde_json::to_value(metadata).map_err(|e| Error::Artifact {
            name: self.name.clone().unwrap_or_default(),
            reason: format!("its metadata cannot be serialised: {e}"),
        })?;
        self.metadata = Some(value);
        Ok(self)
    }
}

/// A MIME type for common extensions; `None` when unknown.
pub(super) fn guess_content_type(name: &str) -> Option<&'static str> {
    let extension = Path::new(name).extension()?.to_str()?.to_ascii_lowercase();
    Some(match extension.as_str() {
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml",
        "toml" => "application/toml",
        "html" | "htm" => "text/html",
        "md" => "text/markdown",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "patch" | "diff" => "text/x-diff",
        "bin" | "pt" | "npy" | "safetensors" => "application/octet-stream",
        _ => return None,
    })
}
