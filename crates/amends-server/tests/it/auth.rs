use amends_core::AgentRole;
use serde_json::json;

use crate::helpers::{assert_problem, TestApp};

#[tokio::test]
async fn a_wrong_password_or_unknown_address_is_refused_alike() {
    for app in TestApp::each().await {
        let client = reqwest::Client::new();
        for (email, password) in [
            ("admin@desk.test", "not the password"),
            ("nobody@desk.test", "whatever it is"),
        ] {
            let response = client
                .post(app.api("/session"))
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap();
            assert!(response.headers().get("set-cookie").is_none());
            let problem = assert_problem(response, 401, None).await;
            assert_eq!(problem["detail"], "wrong email or password");
        }
    }
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site() {
    let app = TestApp::spawn(amends_store::testing::TestDatabase::sqlite()).await;
    let response = reqwest::Client::new()
        .post(app.api("/session"))
        .json(&json!({"email": "admin@desk.test", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("amends_session="));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
}

#[tokio::test]
async fn requests_without_credentials_or_with_a_bad_token_get_401() {
    for app in TestApp::each().await {
        let anonymous = reqwest::Client::new();
        assert_problem(
            anonymous.get(app.api("/queue")).send().await.unwrap(),
            401,
            None,
        )
        .await;
        let forged = anonymous
            .get(app.api("/queue"))
            .bearer_auth("not-a-token")
            .send()
            .await
            .unwrap();
        assert_problem(forged, 401, None).await;
        let malformed = anonymous
            .get(app.api("/queue"))
            .header("authorization", "Basic abc")
            .send()
            .await
            .unwrap();
        assert_problem(malformed, 401, None).await;
        assert_eq!(
            anonymous
                .get(app.url.clone() + "/healthz")
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            anonymous
                .get(app.url.clone() + "/readyz")
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn each_role_reaches_only_what_it_may() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let new_agent = json!({"email": "x@desk.test", "name": "X", "role": "agent", "password": "long enough pass"});
        assert_problem(
            agent
                .post(app.api("/agents"))
                .json(&new_agent)
                .send()
                .await
                .unwrap(),
            403,
            None,
        )
        .await;
        assert_problem(
            supervisor
                .post(app.api("/agents"))
                .json(&new_agent)
                .send()
                .await
                .unwrap(),
            403,
            None,
        )
        .await;
        assert_problem(
            agent.get(app.api("/agents")).send().await.unwrap(),
            403,
            None,
        )
        .await;
        assert_problem(agent.get(app.api("/jobs")).send().await.unwrap(), 403, None).await;
        assert_eq!(
            supervisor
                .get(app.api("/agents"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            supervisor
                .get(app.api("/jobs"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let admin = app.admin().await;
        assert_eq!(admin.post(&app, "/agents", &new_agent).await.status(), 201);
        let taken = admin.post(&app, "/agents", &new_agent).await;
        assert_problem(taken, 409, Some("email")).await;
        assert!(app
            .store
            .agents()
            .await
            .unwrap()
            .iter()
            .any(|a| a.email == "x@desk.test"));
    }
}

#[tokio::test]
async fn a_cookie_request_without_its_csrf_token_is_refused_and_writes_nothing() {
    for app in TestApp::each().await {
        let console = app.admin().await;
        let before = app.counts().await;
        let case = json!({"customer": {"name": "Ann"}, "channel": "chat", "subject": "hi", "body": "hello"});
        let missing = console
            .client
            .post(app.api("/cases"))
            .json(&case)
            .send()
            .await
            .unwrap();
        assert_problem(missing, 403, None).await;
        let wrong = console
            .client
            .post(app.api("/cases"))
            .header("x-csrf-token", "guess")
            .json(&case)
            .send()
            .await
            .unwrap();
        assert_problem(wrong, 403, None).await;
        assert_eq!(app.counts().await, before);
        assert_eq!(console.post(&app, "/cases", &case).await.status(), 201);
    }
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    for app in TestApp::each().await {
        let console = app.admin().await;
        assert_eq!(
            console.get(&app, "/session").await["agent"]["role"],
            "admin"
        );
        let out = console
            .client
            .delete(app.api("/session"))
            .header("x-csrf-token", &console.csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 204);
        assert_problem(
            console.client.get(app.api("/queue")).send().await.unwrap(),
            401,
            None,
        )
        .await;
    }
}

#[tokio::test]
async fn sessions_expire_with_the_clock() {
    // Used or not, a session ends at its expiry; the idle timeout is tested on its own.
    let settings = amends_server::ServerSettings {
        session_idle: std::time::Duration::from_secs(24 * 3600),
        ..amends_server::ServerSettings::default()
    };
    let app = TestApp::spawn_with(amends_store::testing::TestDatabase::sqlite(), settings).await;
    let console = app.admin().await;
    app.clock.advance(12 * 3_600_000 - 1);
    assert_eq!(
        console
            .client
            .get(app.api("/queue"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.clock.advance(1);
    assert_problem(
        console.client.get(app.api("/queue")).send().await.unwrap(),
        401,
        None,
    )
    .await;
}

#[tokio::test]
async fn a_revoked_token_stops_working_and_needs_no_csrf_while_valid() {
    for app in TestApp::each().await {
        let console = app.admin().await;
        let created: serde_json::Value = console
            .post(&app, "/tokens", &json!({"label": "crm"}))
            .await
            .json()
            .await
            .unwrap();
        let token = created["token"].as_str().unwrap();
        let client = reqwest::Client::new();
        let case = json!({"customer": {"name": "Bo"}, "channel": "social", "subject": "hi", "body": "hello"});
        assert_eq!(
            client
                .post(app.api("/cases"))
                .bearer_auth(token)
                .json(&case)
                .send()
                .await
                .unwrap()
                .status(),
            201
        );
        let listed = console.get(&app, "/tokens").await;
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("token").is_none()),
            "secrets are never listed"
        );
        let id = created["id"].as_i64().unwrap();
        let revoked = console
            .client
            .delete(app.api(&format!("/tokens/{id}")))
            .header("x-csrf-token", &console.csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), 200);
        let after = client
            .post(app.api("/cases"))
            .bearer_auth(token)
            .json(&case)
            .send()
            .await
            .unwrap();
        assert_problem(after, 401, None).await;
    }
}
