//! Single sign-on against a real OpenID provider (panva's certified `oidc-provider`, started
//! on loopback by `scripts/oidc/provider.mjs`): the whole authorization code flow with PKCE,
//! agents matched or made by email, "single sign-on only" domains, and each forgery refused: a
//! replayed callback, a code spent with another sign-in's state, a forged signature, a token
//! for another client, an expired token, a token of another sign-in (a wrong nonce).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use amends_core::AgentRole;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp, PASSWORD};

const CLIENT_ID: &str = "amends-desk";
const CLIENT_SECRET: &str = "a-client-secret-for-tests";
/// The desk's public address in the tests' settings: where the provider sends agents back.
const PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The provider, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider (altering its ID tokens by `tamper`, when not empty), or says it
    /// cannot (failing under CI=true).
    fn start(tamper: &str) -> Option<Provider> {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/oidc/provider.mjs"
        );
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        if !std::path::Path::new(script).exists() {
            assert!(
                !ci,
                "CI=true but the OpenID provider is not installed (scripts/oidc/install)"
            );
            eprintln!(
                "SKIPPED: the OpenID provider is not installed; run bash scripts/oidc/install"
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let clients = json!([{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                              "redirect_uris": [format!("{PUBLIC_URL}/sso/callback")]}]);
        let mut child = Command::new("node")
            .arg(script)
            .env("PORT", port.to_string())
            .env("CLIENTS", clients.to_string())
            .env("TAMPER", tamper)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the provider");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(
            first.starts_with("listening"),
            "the provider said {first:?}"
        );
        Some(Provider {
            child,
            issuer: format!("http://127.0.0.1:{port}"),
        })
    }
}

/// A desk whose admin pointed single sign-on at `provider`, with corp.test signing in only
/// through it.
async fn desk_with(provider: &Provider) -> TestApp {
    let settings = amends_server::ServerSettings {
        public_url: PUBLIC_URL.to_owned(),
        ..Default::default()
    };
    let app = TestApp::spawn_with(amends_store::testing::TestDatabase::sqlite(), settings).await;
    let admin = app.admin().await;
    let set = admin
        .client
        .put(app.api("/settings/sso"))
        .header("x-csrf-token", &admin.csrf)
        .json(&json!({"issuer": provider.issuer, "client_id": CLIENT_ID,
                      "client_secret": CLIENT_SECRET, "only_domains": ["corp.test"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200, "{}", set.text().await.unwrap());
    app
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Goes from the desk's "sign in with single sign-on" through the provider; answers the
/// callback address the provider sent the browser to (on the test desk's own port).
async fn through_provider(app: &TestApp, browser: &reqwest::Client, email: &str) -> String {
    let mut url = format!("{}/sso/start?email={email}&next=/chats", app.url);
    for _ in 0..10 {
        let response = browser.get(&url).send().await.unwrap();
        assert!(
            response.status().is_redirection(),
            "{url}: {}",
            response.status()
        );
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let location = if location.starts_with('/') {
            let origin: String = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
            format!("{origin}{location}")
        } else {
            location
        };
        if let Some(rest) = location.strip_prefix(PUBLIC_URL) {
            return format!("{}{rest}", app.url);
        }
        url = location;
    }
    panic!("the provider never sent the browser back");
}

#[tokio::test]
async fn agents_sign_in_through_the_provider_matched_or_made_by_email() {
    let Some(provider) = Provider::start("") else {
        return;
    };
    let app = desk_with(&provider).await;
    let browser = browser();
    let callback = through_provider(&app, &browser, "new.agent@corp.test").await;
    assert!(
        callback.contains("code=") && callback.contains("state="),
        "{callback}"
    );
    let landed = browser.get(&callback).send().await.unwrap();
    assert_eq!(landed.status(), 303);
    assert_eq!(landed.headers()["location"], "/chats");
    let session: Value = browser
        .get(app.api("/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["agent"]["email"], "new.agent@corp.test");
    assert_eq!(
        session["agent"]["role"], "agent",
        "made with the default role"
    );
    let sign_ins: Value = browser
        .get(app.api("/account/sign-ins"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sign_ins[0]["factor"], "sso");

    // An agent on file with a password: matched by email; the password is refused for corp.test.
    let bo = app.add_agent("bo@corp.test", AgentRole::Supervisor).await;
    let refused = reqwest::Client::new()
        .post(app.api("/session"))
        .json(&json!({"email": "bo@corp.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(refused, 401, None).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("single sign-on"),
        "{problem}"
    );
    let theirs = browser_for(&app, "bo@corp.test").await;
    let session: Value = theirs
        .get(app.api("/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["agent"]["id"], bo);
    assert_eq!(session["agent"]["role"], "supervisor");
    // Another domain still signs in with its password.
    app.add_agent("cy@desk.test", AgentRole::Agent).await;
    app.sign_in("cy@desk.test").await;
    // The sign-in page offers the provider; the settings never show the secret.
    let page = reqwest::get(format!("{}/signin", app.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign in with single sign-on"));
    let admin = app.admin().await;
    let shown = admin.get(&app, "/settings/sso").await;
    assert!(!shown.to_string().contains(CLIENT_SECRET), "{shown}");
    assert_eq!(shown["redirect_uri"], format!("{PUBLIC_URL}/sso/callback"));
}

async fn browser_for(app: &TestApp, email: &str) -> reqwest::Client {
    let browser = browser();
    let callback = through_provider(app, &browser, email).await;
    let landed = browser.get(&callback).send().await.unwrap();
    assert_eq!(landed.status(), 303, "{email}");
    browser
}

#[tokio::test]
async fn a_replayed_callback_and_a_code_spent_with_another_state_are_refused() {
    let Some(provider) = Provider::start("") else {
        return;
    };
    let app = desk_with(&provider).await;
    let browser = browser();
    let callback = through_provider(&app, &browser, "ann@corp.test").await;
    assert_eq!(browser.get(&callback).send().await.unwrap().status(), 303);
    // The same answer again (an attacker replaying the address): the state was spent.
    let thief = self::browser();
    let replayed = thief.get(&callback).send().await.unwrap();
    assert_eq!(replayed.status(), 401);
    assert_eq!(
        thief
            .get(app.api("/session"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // The spent code with a fresh sign-in's state: the provider refuses it (and PKCE would).
    let fresh = through_provider(&app, &thief, "ann@corp.test").await;
    let code = callback
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let fresh_state = fresh
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let mixed = format!("{}/sso/callback?code={code}&state={fresh_state}", app.url);
    assert_eq!(thief.get(&mixed).send().await.unwrap().status(), 401);
    assert_eq!(
        thief
            .get(app.api("/session"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // A made-up state: refused.
    let forged = format!("{}/sso/callback?code={code}&state=made-up", app.url);
    assert_eq!(thief.get(&forged).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn a_forged_a_misdirected_an_expired_or_another_sign_in_s_id_token_is_refused() {
    for tamper in ["signature", "audience", "expired", "nonce"] {
        let Some(provider) = Provider::start(tamper) else {
            return;
        };
        let app = desk_with(&provider).await;
        let browser = browser();
        let callback = through_provider(&app, &browser, "eve@corp.test").await;
        let landed = browser.get(&callback).send().await.unwrap();
        assert_eq!(landed.status(), 401, "{tamper}");
        let page = landed.text().await.unwrap();
        assert!(page.contains("could not be trusted"), "{tamper}: {page}");
        assert_eq!(
            browser
                .get(app.api("/session"))
                .send()
                .await
                .unwrap()
                .status(),
            401,
            "{tamper}"
        );
        let admin = app.admin().await;
        let agents = admin.get(&app, "/agents").await;
        assert!(
            !agents.to_string().contains("eve@corp.test"),
            "{tamper}: no agent made"
        );
    }
}
