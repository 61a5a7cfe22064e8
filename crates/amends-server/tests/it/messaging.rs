//! Messages from messaging apps and social networks, each provider's webhook signed as its
//! documentation shows: a message lands in a case on the social channel under the customer with
//! that number or handle, a delivery repeated is one message, and a forged one writes nothing.

use amends_core::AgentRole;
use amends_server::{MessagingSettings, ServerSettings};
use amends_store::testing::TestDatabase;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{get, TestApp};

pub(crate) const PUBLIC: &str = "https://desk.example";

async fn each_app() -> Vec<TestApp> {
    let mut apps = Vec::new();
    for database in TestDatabase::each().await {
        let settings = ServerSettings {
            public_url: PUBLIC.to_owned(),
            messaging: MessagingSettings {
                twilio_auth_token: Some("twilio-token".to_owned()),
                telegram_secret: Some("telegram-secret".to_owned()),
                meta_app_secret: Some("meta-secret".to_owned()),
                meta_verify_token: Some("meta-verify".to_owned()),
                webhook_secret: Some("webhook-secret".to_owned()),
                ..MessagingSettings::default()
            },
            ..ServerSettings::default()
        };
        apps.push(TestApp::spawn_with(database, settings).await);
    }
    apps
}

pub(crate) fn twilio_signature(url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"twilio-token").unwrap();
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub(crate) fn hex_sha256(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) async fn twilio(app: &TestApp, params: &[(&str, &str)], signature: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/inbound/twilio", app.url))
        .header("x-twilio-signature", signature)
        .form(params)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

pub(crate) async fn signed_json(
    app: &TestApp,
    path: &str,
    header: &str,
    value: String,
    body: &Value,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", app.url))
        .header(header, value)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The social cases of the desk, newest first, with their messages.
pub(crate) async fn social_cases(app: &TestApp, agent: &reqwest::Client) -> Vec<Value> {
    let queue = get(app, agent, "/queue?channel=social").await;
    let mut cases = Vec::new();
    for item in queue["items"].as_array().unwrap() {
        cases.push(get(app, agent, &format!("/cases/{}", item["id"])).await);
    }
    cases
}

#[tokio::test]
async fn sms_and_whatsapp_through_twilio_land_in_one_case_per_customer() {
    for app in each_app().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let url = format!("{PUBLIC}/inbound/twilio");
        let sms = [
            ("MessageSid", "SM0001"),
            ("From", "+447700900123"),
            ("To", "+447700900999"),
            ("Body", "My broadband has been down for two days"),
        ];
        let signature = twilio_signature(&url, &sms);
        assert_eq!(twilio(&app, &sms, "bm90IGl0").await, 401, "forged");
        assert_eq!(
            twilio(&app, &sms[..3], &signature).await,
            401,
            "a parameter dropped"
        );
        assert!(
            social_cases(&app, &agent).await.is_empty(),
            "nothing written"
        );
        assert_eq!(twilio(&app, &sms, &signature).await, 200);
        assert_eq!(twilio(&app, &sms, &signature).await, 200, "delivered again");
        let again = [
            ("MessageSid", "SM0002"),
            ("From", "+447700900123"),
            ("To", "+447700900999"),
            (
                "Body",
                "Still nothing. I am thinking of switching provider.",
            ),
        ];
        assert_eq!(
            twilio(&app, &again, &twilio_signature(&url, &again)).await,
            200
        );
        let whatsapp = [
            ("MessageSid", "SM0003"),
            ("From", "whatsapp:+14155550100"),
            ("ProfileName", "Dee Dee"),
            ("Body", "Hi, my order 5521 arrived broken"),
        ];
        assert_eq!(
            twilio(&app, &whatsapp, &twilio_signature(&url, &whatsapp)).await,
            200
        );

        let cases = social_cases(&app, &agent).await;
        assert_eq!(cases.len(), 2, "one case per customer");
        let sms_case = cases
            .iter()
            .find(|c| c["subject"].as_str().unwrap().starts_with("SMS:"))
            .unwrap();
        assert_eq!(
            sms_case["messages"].as_array().unwrap().len(),
            2,
            "the repeat is one message"
        );
        assert_eq!(sms_case["churn_threat"], true, "read by the engine");
        let customer = get(
            &app,
            &agent,
            &format!("/customers/{}", sms_case["customer_id"]),
        )
        .await;
        assert!(customer.to_string().contains("+447700900123"), "{customer}");
        let wa = cases
            .iter()
            .find(|c| c["subject"].as_str().unwrap().starts_with("WhatsApp:"))
            .unwrap();
        let customer = get(&app, &agent, &format!("/customers/{}", wa["customer_id"])).await;
        assert_eq!(customer["name"], "Dee Dee");
    }
}

#[tokio::test]
async fn telegram_meta_and_the_generic_webhook_check_their_signatures() {
    for app in each_app().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let update = json!({"update_id": 1, "message": {"message_id": 7, "date": 0,
            "chat": {"id": 42, "type": "private"}, "from": {"id": 42, "is_bot": false, "first_name": "Ann"},
            "text": "Where is my refund?"}});
        let (status, _) = signed_json(
            &app,
            "/inbound/telegram",
            "x-telegram-bot-api-secret-token",
            "wrong".into(),
            &update,
        )
        .await;
        assert_eq!(status, 401);
        let (status, answer) = signed_json(
            &app,
            "/inbound/telegram",
            "x-telegram-bot-api-secret-token",
            "telegram-secret".into(),
            &update,
        )
        .await;
        assert_eq!((status, answer["new"].as_i64()), (200, Some(1)), "{answer}");
        let sticker = json!({"update_id": 2, "message": {"message_id": 8, "date": 0, "chat": {"id": 42, "type": "private"}}});
        let (status, answer) = signed_json(
            &app,
            "/inbound/telegram",
            "x-telegram-bot-api-secret-token",
            "telegram-secret".into(),
            &sticker,
        )
        .await;
        assert_eq!((status, answer["new"].as_i64()), (200, Some(0)));

        let challenge = reqwest::get(format!(
            "{}/inbound/meta?hub.mode=subscribe&hub.verify_token=meta-verify&hub.challenge=1158201444",
            app.url
        ))
        .await
        .unwrap();
        assert_eq!(
            (challenge.status().as_u16(), challenge.text().await.unwrap()),
            (200, "1158201444".to_owned())
        );
        let refused = reqwest::get(format!(
            "{}/inbound/meta?hub.mode=subscribe&hub.verify_token=no&hub.challenge=1",
            app.url
        ))
        .await
        .unwrap();
        assert_eq!(refused.status(), 403);
        let messenger = json!({"object": "page", "entry": [{"id": "PAGE", "time": 1, "messaging": [
            {"sender": {"id": "PSID-1"}, "recipient": {"id": "PAGE"}, "timestamp": 1,
             "message": {"mid": "m_1", "text": "Your app keeps crashing"}}]}]});
        let cloud = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp", "contacts": [{"profile": {"name": "Kim"}, "wa_id": "15551234567"}],
            "messages": [{"from": "15551234567", "id": "wamid.1", "timestamp": "1", "type": "text", "text": {"body": "Can I change my delivery address?"}}]}}]}]});
        for body in [&messenger, &cloud] {
            let (status, _) = signed_json(
                &app,
                "/inbound/meta",
                "x-hub-signature-256",
                "sha256=00".into(),
                body,
            )
            .await;
            assert_eq!(status, 401);
            let signature = format!(
                "sha256={}",
                hex_sha256(b"meta-secret", body.to_string().as_bytes())
            );
            let (status, answer) = signed_json(
                &app,
                "/inbound/meta",
                "x-hub-signature-256",
                signature,
                body,
            )
            .await;
            assert_eq!((status, answer["new"].as_i64()), (200, Some(1)), "{answer}");
        }

        let message = json!({"id": "ext-9", "from": {"handle": "@lee", "name": "Lee"}, "text": "The courier was rude to me"});
        let (status, _) = signed_json(
            &app,
            "/inbound/messages",
            "x-amends-signature",
            "sha256=beef".into(),
            &message,
        )
        .await;
        assert_eq!(status, 401);
        let signature = format!(
            "sha256={}",
            hex_sha256(b"webhook-secret", message.to_string().as_bytes())
        );
        let (status, answer) = signed_json(
            &app,
            "/inbound/messages",
            "x-amends-signature",
            signature.clone(),
            &message,
        )
        .await;
        assert_eq!((status, answer["new"].as_i64()), (200, Some(1)));
        let (_, answer) = signed_json(
            &app,
            "/inbound/messages",
            "x-amends-signature",
            signature,
            &message,
        )
        .await;
        assert_eq!(answer["new"], 0, "replayed: one message");

        let subjects: Vec<String> = social_cases(&app, &agent)
            .await
            .iter()
            .map(|c| c["subject"].as_str().unwrap().to_owned())
            .collect();
        for expected in ["Telegram:", "Messenger:", "WhatsApp:", "Message:"] {
            assert!(
                subjects.iter().any(|s| s.starts_with(expected)),
                "{expected} in {subjects:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_provider_the_desk_has_no_secret_for_is_not_found() {
    for app in TestApp::each().await {
        let status = reqwest::Client::new()
            .post(format!("{}/inbound/telegram", app.url))
            .header("x-telegram-bot-api-secret-token", "")
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404);
    }
}
