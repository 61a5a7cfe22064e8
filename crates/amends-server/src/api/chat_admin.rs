//! The chat's settings an admin needs to put the widget on their site.

use amends_core::AgentRole;
use axum::extract::State;
use axum::Json;

use crate::accounts::CurrentAgent;
use crate::wire::chat::IdentitySecret;
use crate::{AppError, AppState};

/// The secret a host site signs its signed-in visitors' identity with (admins only): the
/// widget's `data-signature` is the hex HMAC-SHA256, under this key, of the site's id for the
/// customer, a line break and their email.
#[utoipa::path(get, path = "/chat/identity-secret", tag = "chat",
    responses((status = 200, body = IdentitySecret), (status = 403, body = crate::error::Problem)))]
pub(super) async fn identity_secret(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<IdentitySecret>, AppError> {
    current.require(AgentRole::Admin)?;
    Ok(Json(IdentitySecret {
        secret: state.chat_secret().to_owned(),
    }))
}
