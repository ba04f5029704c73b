//! Configuration: defaults, then a TOML file, then `WAYMARK_*` environment variables
//! (`WAYMARK_LISTEN`, `WAYMARK_DATA`, `WAYMARK_LIMITS__MAX_BATCH_MESSAGES`, …). Nothing is
//! required to start. The file may also declare workspaces, inputs with their write keys and
//! admin tokens, so that a deployment is reproducible from its configuration alone.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use waymark_runtime::RuntimeConfig;
use waymark_runtime::outputs::OutputBody;
use waymark_store::InputKind;

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Data directory of the embedded store.
    pub data: PathBuf,
    /// Request limits.
    pub limits: LimitsConfig,
    /// Writes that may wait for the store before requests get 429.
    pub queue_capacity: usize,
    /// Workspaces to create at start (existing ones are kept).
    pub workspaces: Vec<WorkspaceConfig>,
    /// Inputs to create at start (existing ones are kept).
    pub inputs: Vec<InputConfig>,
    /// Admin tokens to accept.
    pub tokens: Vec<TokenConfig>,
    /// Journey limits, timers and delivery settings.
    pub runtime: RuntimeConfig,
    /// Outputs to create at start (existing ones are kept).
    pub outputs: Vec<OutputBody>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data: PathBuf::from("waymark-data"),
            limits: LimitsConfig::default(),
            queue_capacity: 1024,
            workspaces: Vec::new(),
            inputs: Vec::new(),
            tokens: Vec::new(),
            runtime: RuntimeConfig::default(),
            outputs: Vec::new(),
        }
    }
}

/// Ingestion limits (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest message, in bytes.
    pub max_message_bytes: usize,
    /// Largest request body after decompression, in bytes.
    pub max_batch_bytes: usize,
    /// Most messages in one batch.
    pub max_batch_messages: usize,
    /// Deepest JSON nesting accepted.
    pub max_depth: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let d = waymark_ingest::Limits::default();
        Self {
            max_message_bytes: d.max_message_bytes,
            max_batch_bytes: d.max_batch_bytes,
            max_batch_messages: d.max_batch_messages,
            max_depth: d.max_depth,
        }
    }
}

impl LimitsConfig {
    /// As the ingest crate's limits.
    pub fn to_ingest(self) -> waymark_ingest::Limits {
        waymark_ingest::Limits {
            max_message_bytes: self.max_message_bytes,
            max_batch_bytes: self.max_batch_bytes,
            max_batch_messages: self.max_batch_messages,
            max_depth: self.max_depth,
        }
    }
}

/// A workspace declared in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    /// Workspace id.
    pub id: String,
    /// Display name (defaults to the id).
    #[serde(default)]
    pub name: Option<String>,
}

/// An input declared in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// The workspace it belongs to.
    pub workspace: String,
    /// Input id.
    pub id: String,
    /// Display name (defaults to the id).
    #[serde(default)]
    pub name: Option<String>,
    /// Platform or feed.
    pub kind: InputKind,
    /// The write key clients send.
    pub write_key: String,
    /// mParticle API secret, for inputs fed by mParticle's Events API.
    #[serde(default)]
    pub secret: Option<String>,
}

/// An admin token declared in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Display name.
    pub name: String,
    /// The bearer secret.
    pub token: String,
    /// Restrict the token to one workspace (account-wide when absent).
    #[serde(default)]
    pub workspace: Option<String>,
}

/// A configuration that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

impl Config {
    /// Loads defaults, then `file` (when given), then `WAYMARK_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed("WAYMARK_").split("__"));
        figment.extract().map_err(|e| ConfigError(Box::new(e)))
    }
}

#[cfg(test)]
// figment's Jail closures must return figment::Error, which is large.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_nothing() {
        figment::Jail::expect_with(|_| {
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(c.listen, "127.0.0.1:8080");
            assert_eq!(c.limits.max_batch_messages, 2500);
            Ok(())
        });
    }

    #[test]
    fn file_then_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "waymark.toml",
                r#"
                listen = "0.0.0.0:9000"
                [[workspaces]]
                id = "shop"
                [[inputs]]
                workspace = "shop"
                id = "web"
                kind = "web"
                write_key = "wk_web"
                [[tokens]]
                name = "ops"
                token = "secret"
                "#,
            )?;
            jail.set_env("WAYMARK_LISTEN", "127.0.0.1:7000");
            jail.set_env("WAYMARK_LIMITS__MAX_BATCH_MESSAGES", "10");
            let c = Config::load(Some(Path::new("waymark.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.listen, "127.0.0.1:7000");
            assert_eq!(c.limits.max_batch_messages, 10);
            assert_eq!(c.inputs[0].write_key, "wk_web");
            assert_eq!(c.tokens[0].workspace, None);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "lisen = \"x\"")?;
            assert!(Config::load(Some(Path::new("bad.toml"))).is_err());
            Ok(())
        });
    }
}
