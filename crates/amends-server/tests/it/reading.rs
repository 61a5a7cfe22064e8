//! A desk configured with the sentence encoder reads customers' messages through it: the
//! complaint score stored with a message is the encoder head's, not the n-gram head's.

use std::sync::Arc;

use amends_analysis::{assess, Model};
use amends_core::AgentRole;
use amends_server::ServerSettings;
use amends_store::testing::TestDatabase;
use serde_json::{json, Value};

use crate::helpers::{get, post, TestApp};

/// The built-in model reading through the installed encoder (or AMENDS_ENCODER's). Without
/// one the test says so and passes, except under CI=true: a skipped suite is not a pass.
fn reader() -> Option<Model> {
    let dir = std::env::var_os("AMENDS_ENCODER")
        .filter(|dir| !dir.is_empty() && dir != "installed")
        .map(std::path::PathBuf::from)
        .or_else(amends_server::installed_encoder);
    let Some(dir) = dir else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but no sentence encoder is installed: run scripts/encoder/install"
        );
        eprintln!("SKIPPED: no sentence encoder (scripts/encoder/install)");
        return None;
    };
    Some(amends_server::english_with_encoder(&dir).unwrap())
}

fn complaint_score(message: &Value) -> f64 {
    message["assessment"]["complaint_score"].as_f64().unwrap()
}

#[tokio::test]
async fn a_desk_with_the_encoder_reads_new_cases_and_inbound_messages_through_it() {
    let Some(model) = reader() else { return };
    // Texts the n-grams are unsure of, so the encoder's head decides them.
    let opening = "@AcmeSupport why is the price different in store?";
    let follow_up = "@AcmeSupport can I change my delivery address?";
    for text in [opening, follow_up] {
        let (with, without) = (assess(text, &model), assess(text, Model::english()));
        assert!(
            (with.complaint_score - without.complaint_score).abs() > 1e-3,
            "the two heads must differ on {text:?} for this test to tell them apart"
        );
    }
    let settings = ServerSettings {
        reader: Some(Arc::new(model.clone())),
        ..ServerSettings::default()
    };
    let app = TestApp::spawn_with(TestDatabase::sqlite(), settings).await;
    let client = app.token_client(AgentRole::Agent).await;
    let (status, opened) = post(
        &app,
        &client,
        "/cases",
        json!({
            "customer": {"name": "Ann Smith", "email": "ann@example.com"},
            "channel": "social",
            "subject": "Refund",
            "body": opening,
        }),
    )
    .await;
    assert_eq!(status, 201, "{opened}");
    let id = opened["id"].as_i64().unwrap();
    let messages = format!("/cases/{id}/messages");
    let body = json!({"direction": "inbound", "body": follow_up});
    let (status, posted) = post(&app, &client, &messages, body).await;
    assert_eq!(status, 201, "{posted}");
    let case = get(&app, &client, &format!("/cases/{id}")).await;
    let messages = case["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    for (message, text) in messages.iter().zip([opening, follow_up]) {
        let expected = f64::from(assess(text, &model).complaint_score);
        assert!(
            (complaint_score(message) - expected).abs() < 1e-6,
            "{text:?}: stored {} but the encoder head gives {expected}",
            complaint_score(message)
        );
    }
}
