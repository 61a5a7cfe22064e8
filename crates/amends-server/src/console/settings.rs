//! The desk's settings an admin changes: who must sign in with a second factor, how long a
//! closed case keeps its content, and the single sign-on provider. Each form sends the API's
//! own request, so the console and an integrator change them alike.

use amends_core::AgentRole;
use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};

use super::{form_status, layout, trouble, Console, Section};
use crate::accounts::two_factor_rule;
use crate::{AppError, AppState};

/// The settings page (admins only).
pub(super) async fn page(State(state): State<AppState>, console: Console) -> Response {
    if !console.current.agent.role.allows(AgentRole::Admin) {
        return trouble(
            Some(&console),
            AppError::Forbidden("settings are for admins"),
        );
    }
    match sections(&state).await {
        Ok(body) => layout(&console, Section::Settings, "Settings", body),
        Err(error) => trouble(Some(&console), error),
    }
}

async fn sections(state: &AppState) -> Result<Markup, AppError> {
    let rule = two_factor_rule(state).await?;
    let months = crate::retention::retention_months(state).await?;
    let sso = crate::sign_on::settings(state).await?;
    let acknowledging = crate::acknowledgement::enabled(state).await?;
    let redirect = format!(
        "{}/sso/callback",
        state.settings.public_url.trim_end_matches('/')
    );
    let rules = [
        ("nobody", "Nobody (anyone may turn it on)"),
        ("supervisors", "Supervisors and admins"),
        ("everyone", "Everyone"),
    ];
    Ok(html! {
        h1 { "Settings" }
        section class="account" aria-labelledby="rule-title" {
            h2 id="rule-title" { "Two-factor sign-in" }
            form data-api="/api/v1/settings/two-factor" data-method="PUT" {
                label for="required-for" { "Who must sign in with a code from an app" }
                select id="required-for" name="required_for" {
                    @for (value, text) in rules {
                        option value=(value) selected[rule.as_str() == value] { (text) }
                    }
                }
                button type="submit" class="primary" { "Save" }
                (form_status())
            }
        }
        section class="account" aria-labelledby="retention-title" {
            h2 id="retention-title" { "Retention" }
            form data-api="/api/v1/settings/retention" data-method="PUT" {
                label for="months" { "Erase the content of cases closed more than this many months ago (empty: keep for ever)" }
                input id="months" name="months" type="number" min="1" max="1200" data-type="int"
                    data-nullable value=[months];
                button type="submit" class="primary" { "Save" }
                (form_status())
            }
        }
        (acknowledgement_section(acknowledging))
        section class="account" aria-labelledby="sso-title" {
            h2 id="sso-title" { "Single sign-on" }
            p { "Register this address with the provider as the redirect URI: " code { (redirect) } }
            form data-api="/api/v1/settings/sso" data-method="PUT" {
                label for="issuer" { "Issuer" }
                input id="issuer" name="issuer" type="url" required
                    value=[sso.as_ref().map(|s| s.issuer.as_str())];
                label for="client-id" { "Client id" }
                input id="client-id" name="client_id" required
                    value=[sso.as_ref().map(|s| s.client_id.as_str())];
                label for="client-secret" { "Client secret (never shown again)" }
                input id="client-secret" name="client_secret" type="password" required
                    autocomplete="off";
                label for="default-role" { "Role of agents made at their first sign-in" }
                select id="default-role" name="default_role" {
                    @for role in ["agent", "supervisor", "admin"] {
                        option value=(role) selected[sso.as_ref().is_some_and(|s| s.default_role == role)] { (role) }
                    }
                }
                label for="only-domains" { "Email domains that sign in only this way (commas)" }
                input id="only-domains" name="only_domains" data-type="list"
                    value=(sso.as_ref().map(|s| s.only_domains.join(", ")).unwrap_or_default());
                label class="check" {
                    input type="checkbox" name="create_agents"
                        checked[sso.as_ref().is_none_or(|s| s.create_agents)];
                    " Make an agent for a verified address the desk does not know"
                }
                button type="submit" class="primary" { "Save" }
                (form_status())
            }
        }
    })
}

/// Whether calm questions are acknowledged at once with articles.
fn acknowledgement_section(acknowledging: bool) -> Markup {
    html! {
        section class="account" aria-labelledby="acknowledgement-title" {
            h2 id="acknowledgement-title" { "Acknowledgement with articles" }
            form data-api="/api/v1/settings/acknowledgement" data-method="PUT" {
                label for="ack-articles" { "When a calm question arrives by email or web form" }
                select id="ack-articles" name="articles" data-type="bool" {
                    option value="false" selected[!acknowledging] { "Send nothing until a person answers" }
                    option value="true" selected[acknowledging] { "Send at once the articles that may answer it (never to an upset customer)" }
                }
                button type="submit" class="primary" { "Save" }
                (form_status())
            }
        }
    }
}
