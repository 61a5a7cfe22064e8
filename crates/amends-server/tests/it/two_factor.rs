//! Two-factor sign-in through the API on both backends: set up from the secret the QR code
//! holds, signing in with a code, a wrong or replayed code refused, a recovery code good once,
//! the desk's rule forcing set-up, and the sign-ins and sessions each agent sees.

use amends_core::AgentRole;
use amends_server::two_factor::{hotp, secret_from_text, step_at, DIGITS};
use amends_server::Clock;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, Console, TestApp, PASSWORD};

/// The code an authenticator app shows now for `secret` (base32).
fn code_now(app: &TestApp, secret: &str) -> String {
    let secret = secret_from_text(secret).unwrap();
    let step = u64::try_from(step_at(app.clock.now())).unwrap();
    format!("{:06}", hotp(&secret, step, DIGITS))
}

fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn password_step(app: &TestApp, client: &reqwest::Client, email: &str) -> reqwest::Response {
    client
        .post(app.api("/session"))
        .header("user-agent", "TestBrowser/1.0")
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
}

async fn code_step(
    app: &TestApp,
    client: &reqwest::Client,
    challenge: &str,
    code: &str,
) -> reqwest::Response {
    client
        .post(app.api("/session/second-factor"))
        .json(&json!({"challenge": challenge, "code": code}))
        .send()
        .await
        .unwrap()
}

/// Sets up two-factor sign-in for the signed-in `console`; answers the secret and the
/// recovery codes.
async fn set_up(app: &TestApp, console: &Console) -> (String, Vec<String>) {
    let started = console.post(app, "/account/two-factor", &json!(null)).await;
    assert_eq!(started.status(), 201);
    let setup: Value = started.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert!(setup["otpauth_uri"].as_str().unwrap().contains(&secret));
    assert!(setup["qr_svg"].as_str().unwrap().contains("<svg"));
    // Nothing is asked at sign-in until the first code is confirmed.
    let before: Value = console.get(app, "/account/two-factor").await;
    assert_eq!(before["enabled"], false);
    assert_eq!(before["pending"], true);
    let wrong = console
        .post(
            app,
            "/account/two-factor/confirm",
            &json!({"code": "000000"}),
        )
        .await;
    assert_problem(wrong, 422, Some("code")).await;
    let confirmed = console
        .post(
            app,
            "/account/two-factor/confirm",
            &json!({"code": code_now(app, &secret)}),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let codes: Value = confirmed.json().await.unwrap();
    let codes: Vec<String> = codes["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

#[tokio::test]
async fn an_agent_sets_up_two_factor_and_signs_in_with_a_code_once_and_a_recovery_code_once() {
    for app in TestApp::each().await {
        app.add_agent("ann@desk.test", AgentRole::Agent).await;
        let ann = app.sign_in("ann@desk.test").await;
        let (secret, recovery) = set_up(&app, &ann).await;
        let status: Value = ann.get(&app, "/account/two-factor").await;
        assert_eq!(status["enabled"], true);
        assert_eq!(status["recovery_codes_left"], 10);

        // The password alone opens nothing now: a challenge, and no cookie.
        app.clock.advance(60_000);
        let client = cookie_client();
        let first = password_step(&app, &client, "ann@desk.test").await;
        assert_eq!(first.status(), 202);
        assert!(first.headers().get("set-cookie").is_none());
        let challenge: Value = first.json().await.unwrap();
        let challenge = challenge["challenge"].as_str().unwrap().to_owned();
        assert_eq!(
            client.get(app.api("/queue")).send().await.unwrap().status(),
            401
        );

        let wrong = code_step(&app, &client, &challenge, "123456").await;
        assert_eq!(
            assert_problem(wrong, 401, None).await["detail"],
            "wrong code"
        );
        let code = code_now(&app, &secret);
        let signed_in = code_step(&app, &client, &challenge, &code).await;
        assert_eq!(signed_in.status(), 200);
        assert_eq!(
            client.get(app.api("/queue")).send().await.unwrap().status(),
            200
        );

        // The same code again, on a fresh challenge, within its 30 seconds: refused.
        let again = cookie_client();
        let second: Value = password_step(&app, &again, "ann@desk.test")
            .await
            .json()
            .await
            .unwrap();
        let replayed = code_step(&app, &again, second["challenge"].as_str().unwrap(), &code).await;
        assert_problem(replayed, 401, None).await;
        // A recovery code, typed loosely, works once.
        let typed = recovery[0].to_uppercase().replace('-', " ");
        let recovered =
            code_step(&app, &again, second["challenge"].as_str().unwrap(), &typed).await;
        assert_eq!(recovered.status(), 200);
        let third: Value = password_step(&app, &cookie_client(), "ann@desk.test")
            .await
            .json()
            .await
            .unwrap();
        let reused = code_step(
            &app,
            &cookie_client(),
            third["challenge"].as_str().unwrap(),
            &recovery[0],
        )
        .await;
        assert_problem(reused, 401, None).await;

        // Every sign-in is in her list, newest first, with how and from where.
        let sign_ins: Value = ann.get(&app, "/account/sign-ins").await;
        let seen: Vec<(bool, &str)> = sign_ins
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["succeeded"].as_bool().unwrap(),
                    s["factor"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (false, "totp"),
                (true, "recovery_code"),
                (false, "totp"),
                (true, "totp"),
                (false, "totp"),
                (true, "password"),
            ]
        );
        assert_eq!(sign_ins[0]["from"], "127.0.0.1");
        // An admin sees them too; another agent may not.
        let admin = app.admin().await;
        let ann_id = status_agent_id(&app, &ann).await;
        let seen_by_admin: Value = admin.get(&app, &format!("/agents/{ann_id}/sign-ins")).await;
        assert_eq!(seen_by_admin, sign_ins);
        app.add_agent("bo@desk.test", AgentRole::Agent).await;
        let bo = app.sign_in("bo@desk.test").await;
        let refused = bo
            .client
            .get(app.api(&format!("/agents/{ann_id}/sign-ins")))
            .send()
            .await
            .unwrap();
        assert_problem(refused, 403, None).await;

        // Turning it off takes a code; then the password alone signs in again.
        app.clock.advance(60_000);
        let off = ann
            .post(
                &app,
                "/account/two-factor/disable",
                &json!({"code": code_now(&app, &secret)}),
            )
            .await;
        assert_eq!(off.status(), 204);
        assert_eq!(
            password_step(&app, &cookie_client(), "ann@desk.test")
                .await
                .status(),
            200
        );
    }
}

async fn status_agent_id(app: &TestApp, console: &Console) -> i64 {
    let session: Value = console.get(app, "/session").await;
    session["agent"]["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_challenge_dies_after_five_wrong_codes_and_after_five_minutes() {
    let app = TestApp::spawn(amends_store::testing::TestDatabase::sqlite()).await;
    app.add_agent("ann@desk.test", AgentRole::Agent).await;
    let ann = app.sign_in("ann@desk.test").await;
    let (secret, _) = set_up(&app, &ann).await;
    app.clock.advance(60_000);
    let client = cookie_client();
    let answer: Value = password_step(&app, &client, "ann@desk.test")
        .await
        .json()
        .await
        .unwrap();
    let challenge = answer["challenge"].as_str().unwrap();
    for _ in 0..5 {
        let wrong = code_step(&app, &client, challenge, "999999").await;
        assert!(
            wrong.status() == 401 || wrong.status() == 429,
            "{}",
            wrong.status()
        );
    }
    app.clock.advance(10 * 60_000);
    let late = code_step(&app, &client, challenge, &code_now(&app, &secret)).await;
    let problem = assert_problem(late, 401, None).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("expired"),
        "{problem}"
    );

    let fresh: Value = password_step(&app, &client, "ann@desk.test")
        .await
        .json()
        .await
        .unwrap();
    app.clock.advance(6 * 60_000);
    let expired = code_step(
        &app,
        &client,
        fresh["challenge"].as_str().unwrap(),
        &code_now(&app, &secret),
    )
    .await;
    assert_problem(expired, 401, None).await;
}

#[tokio::test]
async fn the_desk_s_rule_makes_supervisors_set_up_a_second_factor_before_anything_else() {
    for app in TestApp::each().await {
        app.add_agent("sue@desk.test", AgentRole::Supervisor).await;
        app.add_agent("ann@desk.test", AgentRole::Agent).await;
        let admin = app.admin().await;
        let ann_before = app.sign_in("ann@desk.test").await;
        let refused = ann_before
            .client
            .put(app.api("/settings/two-factor"))
            .header("x-csrf-token", &ann_before.csrf)
            .json(&json!({"required_for": "supervisors"}))
            .send()
            .await
            .unwrap();
        assert_problem(refused, 403, None).await;
        let bad = admin
            .client
            .put(app.api("/settings/two-factor"))
            .header("x-csrf-token", &admin.csrf)
            .json(&json!({"required_for": "admins"}))
            .send()
            .await
            .unwrap();
        assert_problem(bad, 422, Some("required_for")).await;
        let set = admin
            .client
            .put(app.api("/settings/two-factor"))
            .header("x-csrf-token", &admin.csrf)
            .json(&json!({"required_for": "supervisors"}))
            .send()
            .await
            .unwrap();
        assert_eq!(set.status(), 200);

        // Sue signs in with her password, and may only set up her second factor.
        let sue = app.sign_in("sue@desk.test").await;
        let session: Value = sue.get(&app, "/session").await;
        assert_eq!(session["enrol_only"], true);
        let blocked = sue.client.get(app.api("/queue")).send().await.unwrap();
        let problem = assert_problem(blocked, 403, None).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("second factor"),
            "{problem}"
        );
        let console_page = sue
            .client
            .get(format!("{}/queue", app.url))
            .send()
            .await
            .unwrap();
        assert!(
            console_page.url().path().ends_with("/account"),
            "{}",
            console_page.url()
        );
        let (secret, _) = set_up(&app, &sue).await;
        assert_eq!(
            sue.client
                .get(app.api("/queue"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        // She may not turn it off while the rule stands; an agent is not covered by it.
        app.clock.advance(60_000);
        let off = sue
            .post(
                &app,
                "/account/two-factor/disable",
                &json!({"code": code_now(&app, &secret)}),
            )
            .await;
        assert_problem(off, 403, None).await;
        let ann = app.sign_in("ann@desk.test").await;
        assert_eq!(ann.get(&app, "/session").await["enrol_only"], false);
        assert_eq!(
            ann.client
                .get(app.api("/queue"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn an_agent_lists_their_sessions_and_ends_another() {
    for app in TestApp::each().await {
        app.add_agent("ann@desk.test", AgentRole::Agent).await;
        let laptop = app.sign_in("ann@desk.test").await;
        app.clock.advance(60_000);
        let phone = cookie_client();
        let opened = password_step(&app, &phone, "ann@desk.test").await;
        assert_eq!(opened.status(), 200);
        let sessions: Value = laptop.get(&app, "/account/sessions").await;
        let sessions = sessions.as_array().unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[0]["browser"], "TestBrowser/1.0");
        assert_eq!(sessions[0]["current"], false);
        assert_eq!(sessions[1]["current"], true);
        assert_eq!(sessions[1]["from"], "127.0.0.1");
        let phone_id = sessions[0]["id"].as_i64().unwrap();
        let ended = laptop
            .client
            .delete(app.api(&format!("/account/sessions/{phone_id}")))
            .header("x-csrf-token", &laptop.csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status(), 204);
        assert_eq!(
            phone.get(app.api("/queue")).send().await.unwrap().status(),
            401
        );
        // Another agent's session cannot be ended by id.
        app.add_agent("bo@desk.test", AgentRole::Agent).await;
        let bo = app.sign_in("bo@desk.test").await;
        let laptop_id = sessions[1]["id"].as_i64().unwrap();
        let refused = bo
            .client
            .delete(app.api(&format!("/account/sessions/{laptop_id}")))
            .header("x-csrf-token", &bo.csrf)
            .send()
            .await
            .unwrap();
        assert_problem(refused, 404, None).await;
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
    }
}

#[tokio::test]
async fn an_admin_ends_everything_an_agent_was_signed_in_with() {
    for app in TestApp::each().await {
        let ann_id = app.add_agent("ann@desk.test", AgentRole::Agent).await;
        let ann = app.sign_in("ann@desk.test").await;
        let created: Value = ann
            .post(&app, "/tokens", &json!({"label": "laptop script"}))
            .await
            .json()
            .await
            .unwrap();
        let token = created["token"].as_str().unwrap().to_owned();
        let with_token = reqwest::Client::new();
        let ok = with_token
            .get(app.api("/queue"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        let tokens: Value = ann.get(&app, "/tokens").await;
        assert_eq!(tokens[0]["last_used_from"], "127.0.0.1", "{tokens}");
        let admin = app.admin().await;
        for path in ["sessions", "tokens"] {
            let ended = admin
                .client
                .delete(app.api(&format!("/agents/{ann_id}/{path}")))
                .header("x-csrf-token", &admin.csrf)
                .send()
                .await
                .unwrap();
            assert_eq!(ended.status(), 204, "{path}");
        }
        let gone = with_token
            .get(app.api("/queue"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), 401);
        assert_eq!(
            ann.client
                .get(app.api("/queue"))
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
    }
}
