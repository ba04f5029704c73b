//! Applies the configuration to the store at start: workspaces, inputs and tokens declared
//! in the file exist afterwards; with no admin token anywhere, one is generated.

use waymark_store::{AdminToken, Input, Store, StoreError, TokenScope, Workspace};

use waymark_runtime::{Owner, Runtime, RuntimeError};

use crate::auth::token_hash;
use crate::config::Config;

/// What starting changed that the operator should hear about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bootstrap {
    /// A freshly generated account token (only when the store had none and the config
    /// declared none): shown once.
    pub generated_token: Option<String>,
}

/// Creates what the configuration declares and is missing.
pub fn apply_config(store: &dyn Store, config: &Config) -> Result<Bootstrap, StoreError> {
    apply_tenancy(store, config)?;
    apply_tokens(store, config)
}

/// Creates the workspaces and inputs the configuration declares and the store lacks
/// (existing ones are kept as they are).
pub fn apply_tenancy(store: &dyn Store, config: &Config) -> Result<(), StoreError> {
    for ws in &config.workspaces {
        if store.workspace(&ws.id)?.is_none() {
            store.create_workspace(Workspace {
                id: ws.id.clone(),
                name: ws.name.clone().unwrap_or_else(|| ws.id.clone()),
            })?;
        }
    }
    for input in &config.inputs {
        let exists = store
            .inputs(&input.workspace)?
            .iter()
            .any(|i| i.id == input.id);
        if !exists {
            store.create_input(Input {
                workspace: input.workspace.clone(),
                id: input.id.clone(),
                name: input.name.clone().unwrap_or_else(|| input.id.clone()),
                kind: input.kind,
                write_key: input.write_key.clone(),
                secret: input.secret.clone(),
            })?;
        }
    }
    Ok(())
}

/// Stores the configured admin tokens; with no token anywhere, generates an account token.
fn apply_tokens(store: &dyn Store, config: &Config) -> Result<Bootstrap, StoreError> {
    for token in &config.tokens {
        store.put_token(AdminToken {
            secret_sha256: token_hash(&token.token),
            name: token.name.clone(),
            scope: match &token.workspace {
                Some(ws) => TokenScope::Workspace(ws.clone()),
                None => TokenScope::Account,
            },
        })?;
    }
    let mut bootstrap = Bootstrap::default();
    if !store.has_tokens()? {
        let secret = new_secret("wm_admin_");
        store.put_token(AdminToken {
            secret_sha256: token_hash(&secret),
            name: "generated at first start".into(),
            scope: TokenScope::Account,
        })?;
        bootstrap.generated_token = Some(secret);
    }
    Ok(bootstrap)
}

/// Creates the outputs the configuration declares and the runtime lacks (existing ones are
/// kept as they are).
pub fn apply_outputs(runtime: &Runtime, config: &Config) -> Result<(), RuntimeError> {
    for output in &config.outputs {
        match runtime.output(&TokenScope::Account, &output.id) {
            Ok(_) => {}
            Err(e) if e.status == 404 => {
                let body = serde_json::to_value(output)
                    .map_err(|e| RuntimeError::invalid("invalid_output", e.to_string()))?;
                runtime.create_output(Owner::Account, body)?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A random secret: `prefix` and 32 hex characters from the OS's random source.
pub(crate) fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    // An OS without randomness cannot run the server safely; fall back to time-derived
    // bytes only so that the call cannot panic.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}
