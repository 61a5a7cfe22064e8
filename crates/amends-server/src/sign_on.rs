//! The desk's single sign-on settings, as an admin set them: the OpenID provider, and the
//! email domains that sign in only through it. Read by the password sign-in (`accounts`) and
//! by the flow through the provider (`sso`).

use serde::{Deserialize, Serialize};

use crate::{AppError, AppState};

/// The desk setting holding the provider's details (JSON).
pub(crate) const SSO_SETTING: &str = "single_sign_on";

/// The provider the desk signs agents in through, as an admin set it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SsoSettings {
    /// The issuer, whose `/.well-known/openid-configuration` describes it.
    pub issuer: String,
    /// The desk's client id there.
    pub client_id: String,
    /// The desk's client secret there.
    pub client_secret: String,
    /// The role of an agent made at their first sign-in.
    pub default_role: String,
    /// Whether a verified email no agent has makes a new agent (else it is refused).
    pub create_agents: bool,
    /// Email domains whose agents may only sign in through the provider.
    pub only_domains: Vec<String>,
}

/// The provider's details, when single sign-on is set up.
pub(crate) async fn settings(state: &AppState) -> Result<Option<SsoSettings>, AppError> {
    let stored = state.store.desk_setting(SSO_SETTING).await?;
    Ok(stored.and_then(|json| serde_json::from_str(&json).ok()))
}

/// Whether `email` may only sign in through the provider.
pub(crate) async fn only_through_provider(state: &AppState, email: &str) -> Result<bool, AppError> {
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
    Ok(settings(state).await?.is_some_and(|s| {
        s.only_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
    }))
}
