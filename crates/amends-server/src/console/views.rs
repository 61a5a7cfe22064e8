//! Saved views in the console: the list with counts, and the form that saves what is shown.

use maud::{html, Markup};

use super::form_status;
use crate::accounts::CurrentAgent;
use crate::api::views_of;
use crate::{AppError, AppState};

/// The agent's views and the team's shared ones, each a link with its count.
pub(super) async fn views_nav(
    state: &AppState,
    current: &CurrentAgent,
) -> Result<Markup, AppError> {
    let views = views_of(state, current).await?;
    Ok(html! {
        @if !views.is_empty() {
            nav class="views" aria-label="Saved views" {
                span class="hint" { "Views: " }
                ul {
                    @for view in &views {
                        li {
                            a href=(view.path) { (view.name) } " "
                            span class="count" aria-label={ (view.count) " cases" } { (view.count) }
                            @if view.shared { " " span class="hint" { "(team)" } }
                        }
                    }
                }
            }
        }
    })
}

/// A form saving `path` (what the page shows) as a named view.
pub(super) fn save_view_form(path: &str) -> Markup {
    html! {
        form class="inline save-view" data-api="/api/v1/views" {
            input type="hidden" name="path" value=(path);
            label for="view-name" class="visually-hidden" { "Name of the view" }
            input id="view-name" name="name" placeholder="Name this view" required maxlength="100";
            label { input type="checkbox" name="shared"; " share with the team" }
            button type="submit" { "Save view" }
            (form_status())
        }
    }
}
