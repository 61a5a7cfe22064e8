//! Accounts on a desk facing the internet: sign-in throttling per account and per address (and
//! through a trusted proxy), the sign-in form's Origin check, agents deactivated and changed,
//! passwords changed, idle sessions, scoped and expiring tokens, bounded request ids, HSTS.

use amends_core::AgentRole;
use amends_server::ServerSettings;
use amends_store::testing::TestDatabase;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp, PASSWORD};

async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    via: Option<&str>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(app.api("/session"))
        .json(&json!({"email": email, "password": password}));
    if let Some(address) = via {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.unwrap()
}

/// A guesser is slowed per account (a short wait, so the real agent is never locked out for
/// long) and per address; a right password in a wait is refused too, then works after it.
#[tokio::test]
async fn failed_sign_ins_slow_the_account_with_retry_after() {
    for app in TestApp::each().await {
        app.add_agent("ann@desk.test", AgentRole::Agent).await;
        for _ in 0..6 {
            let response = sign_in(&app, "ann@desk.test", "wrong guess!", None).await;
            assert_eq!(response.status(), 401);
        }
        let response = sign_in(&app, "ann@desk.test", PASSWORD, None).await;
        assert_eq!(response.headers()["retry-after"], "1");
        assert_problem(response, 429, None).await;
        // Another account from the same address is not held up by Ann's guesser.
        assert_eq!(
            sign_in(&app, "admin@desk.test", PASSWORD, None)
                .await
                .status(),
            200
        );
        app.clock.advance(1_000);
        assert_eq!(
            sign_in(&app, "ann@desk.test", PASSWORD, None)
                .await
                .status(),
            200
        );
        // A success forgets the account's failures.
        assert_eq!(
            sign_in(&app, "ann@desk.test", "wrong guess!", None)
                .await
                .status(),
            401
        );
        assert_eq!(
            sign_in(&app, "ann@desk.test", PASSWORD, None)
                .await
                .status(),
            200
        );
    }
}

/// Behind a trusted proxy the client's address comes from X-Forwarded-For: one address that
/// guesses across many accounts is held up, another address is not.
#[tokio::test]
async fn through_a_trusted_proxy_each_client_address_is_throttled_alone() {
    let settings = ServerSettings {
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..ServerSettings::default()
    };
    let app = TestApp::spawn_with(TestDatabase::sqlite(), settings).await;
    let guesser = Some("203.0.113.9");
    for i in 0..21 {
        let email = format!("user{i}@desk.test");
        assert_eq!(
            sign_in(&app, &email, "wrong guess!", guesser)
                .await
                .status(),
            401
        );
    }
    let held = sign_in(&app, "admin@desk.test", PASSWORD, guesser).await;
    assert_eq!(held.status(), 429);
    // A client can put anything at the left of the header; the proxy appends the real one.
    let forged = Some("198.51.100.1, 203.0.113.9");
    assert_eq!(
        sign_in(&app, "admin@desk.test", PASSWORD, forged)
            .await
            .status(),
        429
    );
    let office = Some("198.51.100.20");
    assert_eq!(
        sign_in(&app, "admin@desk.test", PASSWORD, office)
            .await
            .status(),
        200
    );
}

/// A sign-in form posted with another site's Origin is refused even without Sec-Fetch-Site.
#[tokio::test]
async fn the_sign_in_form_checks_the_origin() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let form = [("email", "admin@desk.test"), ("password", PASSWORD)];
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let forged = client
        .post(format!("{}/signin", app.url))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let own = client
        .post(format!("{}/signin", app.url))
        .header("origin", app.url.as_str())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 303);
}

/// Deactivating an agent stops their sessions and tokens at once; reactivated, they sign in
/// again with new ones. Role and authority change with an audit line.
#[tokio::test]
async fn a_deactivated_agent_is_stopped_at_once_and_can_come_back() {
    for app in TestApp::each().await {
        let admin = app.token_client(AgentRole::Admin).await;
        let bo_id = app.add_agent("bo@desk.test", AgentRole::Agent).await;
        let bo = app.sign_in("bo@desk.test").await;
        let token: Value = bo
            .post(&app, "/tokens", &json!({"label": "crm"}))
            .await
            .json()
            .await
            .unwrap();
        let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
        let with_token = |path: &str| {
            reqwest::Client::new()
                .get(app.api(path))
                .header("authorization", &bearer)
                .send()
        };
        assert_eq!(with_token("/queue").await.unwrap().status(), 200);

        let path = format!("/agents/{bo_id}");
        let (status, changed) = call_patch(&app, &admin, &path, json!({"active": false})).await;
        assert_eq!(
            (status, &changed["active"]),
            (200, &json!(false)),
            "{changed}"
        );
        assert_eq!(
            bo.client
                .get(app.api("/queue"))
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
        assert_eq!(with_token("/queue").await.unwrap().status(), 401);
        assert_eq!(
            sign_in(&app, "bo@desk.test", PASSWORD, None).await.status(),
            401
        );

        let change = json!({"active": true, "role": "supervisor", "authority_limit_minor": 9000});
        let (status, changed) = call_patch(&app, &admin, &path, change).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(
            (
                changed["role"].as_str(),
                changed["authority_limit_minor"].as_i64()
            ),
            (Some("supervisor"), Some(9000))
        );
        assert_eq!(
            with_token("/queue").await.unwrap().status(),
            401,
            "revoked for good"
        );
        let back = app.sign_in("bo@desk.test").await;
        assert_eq!(
            back.get(&app, "/session").await["agent"]["role"],
            "supervisor"
        );

        // Only admins change agents, and not themselves out of the door.
        let (status, _) = call_patch(&app, &back.client, &path, json!({"active": false})).await;
        assert_eq!(status, 403);
        let (status, _) =
            call_patch(&app, &admin, "/agents/999999", json!({"active": false})).await;
        assert_eq!(status, 404);
    }
}

async fn call_patch(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: Value,
) -> (u16, Value) {
    crate::helpers::call(client, reqwest::Method::PATCH, app.api(path), Some(body)).await
}

/// Changing a password ends the agent's other sessions; the wrong current password changes
/// nothing. An admin can end all of an agent's sessions.
#[tokio::test]
async fn a_password_change_ends_the_other_sessions() {
    for app in TestApp::each().await {
        let agent_id = app.add_agent("cy@desk.test", AgentRole::Agent).await;
        let laptop = app.sign_in("cy@desk.test").await;
        let phone = app.sign_in("cy@desk.test").await;
        let change = |current: &str| json!({"current_password": current, "new_password": "a much longer secret"});
        let put = |body: Value| {
            laptop
                .client
                .put(app.api("/session/password"))
                .header("x-csrf-token", &laptop.csrf)
                .json(&body)
                .send()
        };
        assert_problem(
            put(change("not it at all")).await.unwrap(),
            422,
            Some("current_password"),
        )
        .await;
        assert_eq!(
            phone
                .client
                .get(app.api("/queue"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(put(change(PASSWORD)).await.unwrap().status(), 204);
        assert_eq!(
            laptop
                .client
                .get(app.api("/queue"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            phone
                .client
                .get(app.api("/queue"))
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
        assert_eq!(
            sign_in(&app, "cy@desk.test", "a much longer secret", None)
                .await
                .status(),
            200
        );

        let admin = app.admin().await;
        let response = admin
            .client
            .delete(app.api(&format!("/agents/{agent_id}/sessions")))
            .header("x-csrf-token", &admin.csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        assert_eq!(
            laptop
                .client
                .get(app.api("/queue"))
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
    }
}

/// A session unused for longer than the idle timeout ends; use keeps it alive.
#[tokio::test]
async fn an_idle_session_ends() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let console = app.admin().await;
    let hour = 3_600_000;
    app.clock.advance(hour + 30 * 60_000);
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
    app.clock.advance(hour + 30 * 60_000);
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
    app.clock.advance(2 * hour + 1);
    assert_eq!(
        console
            .client
            .get(app.api("/queue"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

/// A read-only token reads and changes nothing; an intake token only hands in mail; an
/// expired token opens nothing.
#[tokio::test]
async fn token_scopes_and_expiry_are_enforced() {
    for app in TestApp::each().await {
        let console = app.admin().await;
        let (console, app_ref) = (&console, &app);
        let make = |body: Value| async move {
            let created: Value = console
                .post(app_ref, "/tokens", &body)
                .await
                .json()
                .await
                .unwrap();
            format!("Bearer {}", created["token"].as_str().unwrap())
        };
        let read_only = make(json!({"label": "report", "scope": "read_only"})).await;
        let intake = make(json!({"label": "mta", "scope": "intake"})).await;
        let brief = make(json!({"label": "trial", "expires_in_days": 1})).await;
        let case = json!({"customer": {"name": "Di", "email": "di@example.com"}, "channel": "email", "subject": "Late", "body": "Still waiting."});
        let client = reqwest::Client::new();
        let send = |bearer: &str, method: reqwest::Method, path: &str, body: Option<&Value>| {
            let mut request = client
                .request(method, app.api(path))
                .header("authorization", bearer);
            if let Some(body) = body {
                request = request.json(body);
            }
            request.send()
        };
        use reqwest::Method;
        assert_eq!(
            send(&read_only, Method::GET, "/queue", None)
                .await
                .unwrap()
                .status(),
            200
        );
        assert_problem(
            send(&read_only, Method::POST, "/cases", Some(&case))
                .await
                .unwrap(),
            403,
            None,
        )
        .await;
        assert_eq!(
            send(&intake, Method::GET, "/queue", None)
                .await
                .unwrap()
                .status(),
            403
        );
        let mail = client
            .post(app.api("/inbound/email"))
            .header("authorization", &intake)
            .header("content-type", "message/rfc822")
            .body("From: Di <di@example.com>\r\nSubject: Late\r\n\r\nStill waiting.\r\n")
            .send()
            .await
            .unwrap();
        assert_eq!(mail.status(), 202);
        assert_eq!(
            send(&brief, Method::POST, "/cases", Some(&case))
                .await
                .unwrap()
                .status(),
            201
        );

        let bad = console
            .post(&app, "/tokens", &json!({"label": "x", "scope": "root"}))
            .await;
        assert_problem(bad, 422, Some("scope")).await;
        let listed = console.get(&app, "/tokens").await;
        let scopes: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["scope"].as_str().unwrap())
            .collect();
        assert_eq!(scopes, ["read_only", "intake", "full"]);
        app.clock.advance(86_400_000);
        assert_eq!(
            send(&brief, Method::GET, "/queue", None)
                .await
                .unwrap()
                .status(),
            401
        );
    }
}

/// A client-chosen request id is echoed only when short and plain; HSTS when configured.
#[tokio::test]
async fn request_ids_are_bounded_and_hsts_is_sent_when_asked() {
    let settings = ServerSettings {
        hsts: true,
        ..ServerSettings::default()
    };
    let app = TestApp::spawn_with(TestDatabase::sqlite(), settings).await;
    let client = reqwest::Client::new();
    let answer = |id: String| {
        client
            .get(format!("{}/healthz", app.url))
            .header("x-request-id", id)
            .send()
    };
    let plain = answer("abc-123".to_owned()).await.unwrap();
    assert_eq!(plain.headers()["x-request-id"], "abc-123");
    assert!(plain.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    for bad in ["x".repeat(65), "a b".to_owned(), "line\tbreak".to_owned()] {
        let replaced = answer(bad.clone()).await.unwrap();
        let id = replaced.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_ne!(id, bad);
        assert_eq!(id.len(), 36, "a fresh uuid: {id}");
    }
}

/// A forgotten password: the agent asks by address (the answer is the same for any address),
/// a single-use link is mailed by a durable job, and its page sets a new password once,
/// ending every session; an expired link does nothing.
#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_single_use_link_by_mail() {
    for app in TestApp::each().await {
        app.add_agent("fay@desk.test", AgentRole::Agent).await;
        let laptop = app.sign_in("fay@desk.test").await;
        let client = reqwest::Client::new();
        let ask = |email: &'static str| {
            client
                .post(format!("{}/password-reset", app.url))
                .form(&[("email", email)])
                .send()
        };
        let known = ask("fay@desk.test").await.unwrap();
        assert_eq!(known.status(), 200);
        let known = known.text().await.unwrap();
        let unknown = ask("nobody@desk.test").await.unwrap().text().await.unwrap();
        assert_eq!(
            known, unknown,
            "the answer does not tell agents' addresses apart"
        );

        assert_eq!(
            app.run_due_jobs().await.done,
            1,
            "one mail: none for the unknown address"
        );
        let mail = app.store.staff_mail(1).await.unwrap();
        assert_eq!(
            (mail.status.as_str(), mail.to_address.as_str()),
            ("held", "fay@desk.test")
        );
        assert!(mail.mail.unwrap().contains("Subject: Reset your password"));
        let token = mail.body.split("/password-reset/").nth(1).unwrap();
        let token = token.split_whitespace().next().unwrap().to_owned();
        let link = format!("{}/password-reset/{token}", app.url);

        assert_eq!(client.get(&link).send().await.unwrap().status(), 200);
        let choose = |password: &'static str, confirm: &'static str| {
            client
                .post(&link)
                .form(&[("password", password), ("confirm", confirm)])
                .send()
        };
        assert_eq!(
            choose("a brand new one", "a brand new 1")
                .await
                .unwrap()
                .status(),
            422
        );
        assert_eq!(choose("short", "short").await.unwrap().status(), 422);
        assert_eq!(
            choose("a brand new one", "a brand new one")
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            laptop
                .client
                .get(app.api("/queue"))
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
        assert_eq!(
            sign_in(&app, "fay@desk.test", "a brand new one", None)
                .await
                .status(),
            200
        );
        // Once only.
        assert_eq!(client.get(&link).send().await.unwrap().status(), 404);
        assert_eq!(
            choose("another new one", "another new one")
                .await
                .unwrap()
                .status(),
            404
        );

        // A link past its half hour does nothing.
        ask("fay@desk.test").await.unwrap();
        app.run_due_jobs().await;
        let body = app.store.staff_mail(2).await.unwrap().body;
        let token = body.split("/password-reset/").nth(1).unwrap();
        let late = format!(
            "{}/password-reset/{}",
            app.url,
            token.split_whitespace().next().unwrap()
        );
        app.clock.advance(31 * 60_000);
        assert_eq!(client.get(&late).send().await.unwrap().status(), 404);
    }
}
