//! An agent's reply on a case from a messaging app goes back through the provider's own API:
//! a local server stands in for Twilio, Telegram, Meta and the generic webhook's receiver,
//! answers as their documentation shows (refusing wrong credentials as they do) and keeps what
//! it was sent, which the tests read as the provider would.

use std::sync::{Arc, Mutex};

use amends_core::AgentRole;
use amends_server::{MessagingSettings, ProviderApis, ServerSettings};
use amends_store::testing::TestDatabase;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{get, TestApp};
use crate::messaging::{hex_sha256, signed_json, social_cases, twilio, twilio_signature, PUBLIC};

/// One request the stand-in heard.
#[derive(Debug, Clone)]
struct Heard {
    path: String,
    authorization: String,
    signature: String,
    body: String,
}

impl Heard {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    fn form(&self, name: &str) -> String {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&self.body).unwrap();
        pairs.into_iter().find(|(k, _)| k == name).unwrap().1
    }
}

/// The providers' APIs on loopback.
#[derive(Clone, Default)]
struct Providers {
    heard: Arc<Mutex<Vec<Heard>>>,
    /// Statuses to answer next instead of the documented success, first first.
    refuse: Arc<Mutex<Vec<u16>>>,
}

impl Providers {
    async fn start() -> (Providers, String) {
        let providers = Providers::default();
        let router = axum::Router::new()
            .fallback(answer)
            .with_state(providers.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (providers, url)
    }

    fn last(&self) -> Heard {
        self.heard.lock().unwrap().last().cloned().unwrap()
    }

    fn count(&self) -> usize {
        self.heard.lock().unwrap().len()
    }
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Each API's documented answer: Twilio's message resource (201), Telegram's `{ok, result}`,
/// Meta's Send API and WhatsApp Cloud's message ids, each refusing a wrong credential.
async fn answer(
    State(providers): State<Providers>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let heard = Heard {
        path: uri.path().to_owned(),
        authorization: header(&headers, "authorization"),
        signature: header(&headers, "x-amends-signature"),
        body: String::from_utf8(body.to_vec()).unwrap(),
    };
    providers.heard.lock().unwrap().push(heard.clone());
    let refusal = {
        let mut refuse = providers.refuse.lock().unwrap();
        (!refuse.is_empty()).then(|| refuse.remove(0))
    };
    if let Some(code) = refusal {
        let status = StatusCode::from_u16(code).unwrap();
        let said = json!({"ok": false, "error_code": code, "description": "Forbidden: bot was blocked by the user"});
        return (status, Json(said)).into_response();
    }
    let basic = base64::engine::general_purpose::STANDARD.encode("AC-test:twilio-token");
    let path = heard.path.as_str();
    let (status, said) = if path.ends_with("/Messages.json") {
        if heard.authorization != format!("Basic {basic}") {
            (StatusCode::UNAUTHORIZED, json!({"code": 20003}))
        } else {
            (
                StatusCode::CREATED,
                json!({"sid": "SM-reply", "status": "queued"}),
            )
        }
    } else if path == "/botbot-token/sendMessage" {
        (
            StatusCode::OK,
            json!({"ok": true, "result": {"message_id": 99}}),
        )
    } else if path.starts_with("/bot") {
        (
            StatusCode::UNAUTHORIZED,
            json!({"ok": false, "error_code": 401}),
        )
    } else if path.ends_with("/messages") {
        if heard.authorization != "Bearer meta-token" {
            (StatusCode::UNAUTHORIZED, json!({"error": {"code": 190}}))
        } else if heard.json()["messaging_product"] == "whatsapp" {
            (
                StatusCode::OK,
                json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.reply"}]}),
            )
        } else {
            (
                StatusCode::OK,
                json!({"recipient_id": "PSID-1", "message_id": "m_reply"}),
            )
        }
    } else if path == "/reply" {
        let expected = format!(
            "sha256={}",
            hex_sha256(b"webhook-secret", heard.body.as_bytes())
        );
        if heard.signature == expected {
            (StatusCode::OK, json!({"id": "theirs-1"}))
        } else {
            (StatusCode::UNAUTHORIZED, json!({}))
        }
    } else {
        (StatusCode::NOT_FOUND, json!({}))
    };
    (status, Json(said)).into_response()
}

async fn app_replying_through(database: TestDatabase, providers: &str) -> TestApp {
    let settings = ServerSettings {
        public_url: PUBLIC.to_owned(),
        messaging: MessagingSettings {
            twilio_auth_token: Some("twilio-token".to_owned()),
            twilio_account_sid: Some("AC-test".to_owned()),
            telegram_secret: Some("telegram-secret".to_owned()),
            telegram_bot_token: Some("bot-token".to_owned()),
            meta_app_secret: Some("meta-secret".to_owned()),
            meta_access_token: Some("meta-token".to_owned()),
            webhook_secret: Some("webhook-secret".to_owned()),
            webhook_reply_url: Some(format!("{providers}/reply")),
            apis: ProviderApis {
                twilio: providers.to_owned(),
                telegram: providers.to_owned(),
                meta: format!("{providers}/v21.0"),
            },
            ..MessagingSettings::default()
        },
        ..ServerSettings::default()
    };
    TestApp::spawn_with(database, settings).await
}

/// Replies `text` on the social case whose first message says `words`; runs the due jobs and
/// answers how many were done.
async fn reply(app: &TestApp, agent: &reqwest::Client, words: &str, text: &str) -> usize {
    let case = social_cases(app, agent)
        .await
        .into_iter()
        .find(|c| c["messages"][0]["body"].as_str().unwrap().contains(words))
        .unwrap_or_else(|| panic!("no case says {words:?}"));
    let written = agent
        .post(app.api(&format!("/cases/{}/messages", case["id"])))
        .json(&json!({"direction": "outbound", "body": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(written.status(), 201);
    app.run_due_jobs().await.done
}

/// A signed Twilio delivery, taken.
async fn texted(app: &TestApp, params: &[(&str, &str)]) {
    let signed = twilio_signature(&format!("{PUBLIC}/inbound/twilio"), params);
    assert_eq!(twilio(app, params, &signed).await, 200);
}

/// A Telegram update from chat 42 saying `text`, taken.
async fn telegram(app: &TestApp, text: &str) {
    let update = json!({"update_id": 1, "message": {"message_id": 7, "date": 0,
        "chat": {"id": 42, "type": "private"}, "from": {"id": 42, "is_bot": false, "first_name": "Ann"},
        "text": text}});
    let secret = "telegram-secret".to_owned();
    let (status, _) = signed_json(
        app,
        "/inbound/telegram",
        "x-telegram-bot-api-secret-token",
        secret,
        &update,
    )
    .await;
    assert_eq!(status, 200);
}

async fn meta(app: &TestApp, body: &Value) {
    let signature = format!(
        "sha256={}",
        hex_sha256(b"meta-secret", body.to_string().as_bytes())
    );
    let (status, _) =
        signed_json(app, "/inbound/meta", "x-hub-signature-256", signature, body).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_reply_goes_back_through_the_api_the_customer_wrote_by() {
    for database in TestDatabase::each().await {
        let (providers, url) = Providers::start().await;
        let app = app_replying_through(database, &url).await;
        let agent = app.token_client(AgentRole::Agent).await;

        let sms = [
            ("MessageSid", "SM0001"),
            ("From", "+447700900123"),
            ("To", "+447700900999"),
            ("Body", "My broadband has been down for two days"),
        ];
        texted(&app, &sms).await;
        assert_eq!(
            reply(
                &app,
                &agent,
                "broadband",
                "Sorry, Sam: an engineer comes today."
            )
            .await,
            1
        );
        let sent = providers.last();
        assert_eq!(sent.path, "/2010-04-01/Accounts/AC-test/Messages.json");
        assert_eq!(sent.form("To"), "+447700900123");
        assert_eq!(
            sent.form("From"),
            "+447700900999",
            "from the number written to"
        );
        assert_eq!(sent.form("Body"), "Sorry, Sam: an engineer comes today.");

        let whatsapp = [
            ("MessageSid", "SM0002"),
            ("From", "whatsapp:+14155550100"),
            ("To", "whatsapp:+14155238886"),
            ("Body", "My order 5521 arrived broken"),
        ];
        texted(&app, &whatsapp).await;
        assert_eq!(
            reply(&app, &agent, "5521", "A new one is on its way.").await,
            1
        );
        let sent = providers.last();
        assert_eq!(
            (sent.form("To"), sent.form("From")),
            (
                "whatsapp:+14155550100".to_owned(),
                "whatsapp:+14155238886".to_owned()
            )
        );

        telegram(&app, "Where is my refund?").await;
        assert_eq!(
            reply(&app, &agent, "refund", "It went out this morning.").await,
            1
        );
        let sent = providers.last();
        assert_eq!(sent.path, "/botbot-token/sendMessage");
        assert_eq!(
            sent.json(),
            json!({"chat_id": "42", "text": "It went out this morning."})
        );

        let messenger = json!({"object": "page", "entry": [{"id": "PAGE-7", "time": 1, "messaging": [
            {"sender": {"id": "PSID-1"}, "recipient": {"id": "PAGE-7"}, "timestamp": 1,
             "message": {"mid": "m_1", "text": "Your app keeps crashing"}}]}]});
        meta(&app, &messenger).await;
        assert_eq!(
            reply(&app, &agent, "crashing", "A fix ships tonight.").await,
            1
        );
        let sent = providers.last();
        assert_eq!(
            sent.path, "/v21.0/PAGE-7/messages",
            "sent as the page written to"
        );
        assert_eq!(sent.authorization, "Bearer meta-token");
        let said = sent.json();
        assert_eq!(
            (
                said["recipient"]["id"].as_str(),
                said["messaging_type"].as_str()
            ),
            (Some("PSID-1"), Some("RESPONSE"))
        );
        assert_eq!(said["message"]["text"], "A fix ships tonight.");

        let cloud = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": "PNID-5"},
            "contacts": [{"profile": {"name": "Kim"}, "wa_id": "15551234567"}],
            "messages": [{"from": "15551234567", "id": "wamid.1", "timestamp": "1", "type": "text", "text": {"body": "Can I change my delivery address?"}}]}}]}]});
        meta(&app, &cloud).await;
        assert_eq!(
            reply(
                &app,
                &agent,
                "delivery address",
                "Yes: reply with the new one."
            )
            .await,
            1
        );
        let sent = providers.last();
        assert_eq!(sent.path, "/v21.0/PNID-5/messages");
        let said = sent.json();
        assert_eq!(
            (
                said["messaging_product"].as_str(),
                said["to"].as_str(),
                said["type"].as_str()
            ),
            (Some("whatsapp"), Some("15551234567"), Some("text"))
        );
        assert_eq!(said["text"]["body"], "Yes: reply with the new one.");

        let message = json!({"id": "ext-9", "from": {"handle": "@lee", "name": "Lee"}, "text": "The courier was rude to me"});
        let signature = format!(
            "sha256={}",
            hex_sha256(b"webhook-secret", message.to_string().as_bytes())
        );
        let (status, _) = signed_json(
            &app,
            "/inbound/messages",
            "x-amends-signature",
            signature,
            &message,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(reply(&app, &agent, "courier", "I am sorry, Lee.").await, 1);
        let said = providers.last().json();
        assert_eq!(
            (said["to"].as_str(), said["text"].as_str()),
            (Some("@lee"), Some("I am sorry, Lee.")),
            "signed, or the stand-in refuses"
        );

        // A note is not sent, and a social case opened by hand has no route back: nothing goes out.
        let heard = providers.count();
        let case = social_cases(&app, &agent)
            .await
            .into_iter()
            .find(|c| c["messages"][0]["body"] == "Where is my refund?")
            .unwrap();
        let note = agent
            .post(app.api(&format!("/cases/{}/messages", case["id"])))
            .json(&json!({"direction": "note", "body": "Checked the ledger."}))
            .send()
            .await
            .unwrap();
        assert_eq!(note.status(), 201);
        let by_hand = agent
            .post(app.api("/cases"))
            .json(&json!({"customer": {"name": "Pat"}, "channel": "social",
            "subject": "Tweet about a late parcel", "body": "Copied from a tweet"}))
            .send()
            .await
            .unwrap();
        assert_eq!(by_hand.status(), 201);
        let by_hand: Value = by_hand.json().await.unwrap();
        let written = agent
            .post(app.api(&format!("/cases/{}/messages", by_hand["id"])))
            .json(&json!({"direction": "outbound", "body": "Sent by DM"}))
            .send()
            .await
            .unwrap();
        assert_eq!(written.status(), 201);
        app.run_due_jobs().await;
        assert_eq!(providers.count(), heard, "nothing sent");
    }
}

#[tokio::test]
async fn a_busy_provider_is_tried_again_and_a_refusal_tells_a_person() {
    for database in TestDatabase::each().await {
        let (providers, url) = Providers::start().await;
        let app = app_replying_through(database, &url).await;
        let agent = app.token_client(AgentRole::Agent).await;
        telegram(&app, "Where is my refund?").await;

        providers.refuse.lock().unwrap().push(503);
        reply(&app, &agent, "refund", "It went out this morning.").await;
        let jobs = get(&app, &app.admin().await.client, "/jobs?status=pending").await;
        assert!(
            jobs.to_string().contains("provider answered 503"),
            "tried again later: {jobs}"
        );

        providers.refuse.lock().unwrap().push(403);
        let done = reply(&app, &agent, "refund", "Are you still there?").await;
        assert_eq!(done, 0, "refused for good");
        let told = app.admin().await.get(&app, "/notifications").await;
        let failed = told
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "reply_failed")
            .unwrap_or_else(|| panic!("{told}"));
        assert!(
            failed["body"].as_str().unwrap().contains("bot was blocked"),
            "{failed}"
        );
    }
}

#[tokio::test]
async fn a_public_comment_is_a_reputation_risk_coached_and_answered_in_private() {
    for database in TestDatabase::each().await {
        let (providers, url) = Providers::start().await;
        let app = app_replying_through(database, &url).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let calm = json!({"object": "page", "entry": [{"id": "PAGE-7", "time": 1, "messaging": [
            {"sender": {"id": "PSID-2"}, "recipient": {"id": "PAGE-7"}, "timestamp": 1,
             "message": {"mid": "m_2", "text": "Do you deliver on Sundays?"}}]}]});
        meta(&app, &calm).await;
        let comment = json!({"object": "page", "entry": [{"id": "PAGE-7", "time": 2, "changes": [{"field": "feed",
            "value": {"from": {"id": "USER-9", "name": "Sam Jones"}, "item": "comment", "verb": "add",
            "post_id": "PAGE-7_POST-1", "comment_id": "POST-1_COMMENT-3", "parent_id": "PAGE-7_POST-1",
            "created_time": 2, "message": "Two weeks and still no refund. Shocking service."}}]}]});
        meta(&app, &comment).await;
        let ours = json!({"object": "page", "entry": [{"id": "PAGE-7", "time": 3, "changes": [{"field": "feed",
            "value": {"from": {"id": "PAGE-7", "name": "The Shop"}, "item": "comment", "verb": "add",
            "post_id": "PAGE-7_POST-1", "comment_id": "POST-1_COMMENT-4", "message": "Thanks everyone!"}}]}]});
        meta(&app, &ours).await;
        let instagram = json!({"object": "instagram", "entry": [{"id": "IG-1", "time": 4, "changes": [{"field": "comments",
            "value": {"from": {"id": "IGSID-5", "username": "kimbo"}, "media": {"id": "MEDIA-1"},
            "id": "IG-COMMENT-6", "text": "My parcel never came"}}]}]});
        meta(&app, &instagram).await;

        let cases = social_cases(&app, &agent).await;
        let subjects: Vec<&str> = cases
            .iter()
            .map(|c| c["subject"].as_str().unwrap())
            .collect();
        assert_eq!(
            cases.len(),
            3,
            "the page's own comment is left: {subjects:?}"
        );
        let public = cases
            .iter()
            .find(|c| {
                c["subject"]
                    .as_str()
                    .unwrap()
                    .starts_with("Facebook (public):")
            })
            .unwrap();
        assert_eq!(public["public_post"], true);
        assert!(
            cases.iter().any(
                |c| c["subject"] == "Instagram (public): My parcel never came"
                    && c["public_post"] == true
            ),
            "{subjects:?}"
        );
        let private = cases
            .iter()
            .find(|c| c["subject"].as_str().unwrap().starts_with("Messenger:"))
            .unwrap();
        assert_eq!(private["public_post"], false);

        let queue = get(&app, &agent, "/queue?channel=social").await;
        let first = &queue["items"][0];
        assert_ne!(
            first["id"], private["id"],
            "a public complaint sits above a calm private question"
        );
        let raised = queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == public["id"])
            .unwrap();
        assert!(
            raised["reasons"]
                .to_string()
                .contains("public: reputation risk"),
            "{raised}"
        );

        let console = app.admin().await;
        let page = console
            .client
            .get(format!("{}/cases/{}", app.url, public["id"]))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(r#"<li class="badge hot">public: reputation risk</li>"#),
            "the case page says so"
        );

        let coached = |case: &Value, text: &str| {
            let body = json!({"text": text, "case_id": case["id"]});
            let agent = agent.clone();
            let url = app.api("/coach");
            async move {
                agent
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .json::<Value>()
                    .await
                    .unwrap()
            }
        };
        let take_private = |coaching: &Value| {
            coaching["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["kind"] == "take_private")
                .count()
        };
        assert_eq!(
            take_private(&coached(public, "Sam, I am so sorry about your refund.").await),
            1
        );
        assert_eq!(
            take_private(
                &coached(
                    public,
                    "Sam, I am so sorry. Please DM us and we'll fix it today."
                )
                .await
            ),
            0
        );
        assert_eq!(
            take_private(&coached(private, "Sam, I am so sorry about your refund.").await),
            0,
            "only in public"
        );

        let heard = providers.count();
        assert_eq!(
            reply(
                &app,
                &agent,
                "Shocking service",
                "Sam, I am so sorry. I have written to you privately."
            )
            .await,
            1
        );
        assert_eq!(providers.count(), heard + 1);
        let sent = providers.last();
        assert_eq!(sent.path, "/v21.0/PAGE-7/messages");
        assert_eq!(
            sent.json()["recipient"],
            json!({"comment_id": "POST-1_COMMENT-3"}),
            "a private reply to the comment"
        );
    }
}
