//! The agents' chat page: the chats waiting for someone, most urgent first, each taken with
//! one button (up to the desk's capacity), and the agent's own open chats. It reloads itself
//! when a chat line arrives.

use axum::extract::State;
use axum::response::Response;
use maud::html;

use super::{form_status, layout, trouble, Console, Section};
use crate::api::waiting_and_mine;
use crate::wire::QueueEntry;
use crate::AppState;

pub(super) async fn page(State(state): State<AppState>, console: Console) -> Response {
    let (waiting, mine) = match waiting_and_mine(&state, &console.current).await {
        Ok(found) => found,
        Err(error) => return trouble(Some(&console), error),
    };
    let capacity = state.settings.chat.capacity;
    let body = html! {
        div class="page-head" data-live-page { h1 { "Chats" } }
        section aria-labelledby="waiting-title" {
            h2 id="waiting-title" { "Waiting (" (waiting.len()) ")" }
            @if waiting.is_empty() {
                p class="muted" { "No chat is waiting." }
            } @else {
                table class="queue chats" {
                    thead { tr {
                        th scope="col" { "Customer" }
                        th scope="col" { "Chat" }
                        th scope="col" { "Why here" }
                        th scope="col" { span class="visually-hidden" { "Take it" } }
                    } }
                    tbody { @for entry in &waiting { (waiting_row(entry)) } }
                }
            }
        }
        section aria-labelledby="mine-title" {
            h2 id="mine-title" { "Your chats (" (mine.len()) " of " (capacity) ")" }
            @if mine.is_empty() {
                p class="muted" { "You have no open chat." }
            } @else {
                ul class="my-chats" {
                    @for entry in &mine {
                        li { a href={ "/cases/" (entry.case.id) } {
                            (entry.customer_name) ": " (entry.case.subject)
                        } }
                    }
                }
            }
        }
    };
    layout(&console, Section::Chats, "Chats", body)
}

fn waiting_row(entry: &QueueEntry) -> maud::Markup {
    let id = entry.case.id;
    html! {
        tr {
            td { (entry.customer_name) }
            td { a href={ "/cases/" (id) } { (entry.case.subject) } }
            td { (entry.reasons.join(", ")) }
            td {
                form class="inline" data-api={ "/api/v1/cases/" (id) "/accept" } data-nobody
                    data-then={ "go:/cases/" (id) } {
                    button type="submit" { "Take chat #" (id) }
                    (form_status())
                }
            }
        }
    }
}
