use std::sync::Arc;

use amends_core::audit::{Actor, AuditContext};
use amends_core::{AgentRole, Timestamp};
use amends_server::runner::{run_due_jobs, JobOutcome};
use amends_server::{AppState, Clock, ManualClock, ServerSettings};
use amends_store::testing::TestDatabase;
use amends_store::{NewAgent, Store};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{json, Value};

pub(crate) const PASSWORD: &str = "correct horse battery";
/// 2026-11-22T09:00:00Z.
pub(crate) const START: Timestamp = Timestamp(1_795_338_000_000);

/// A running desk for one test.
pub(crate) struct TestApp {
    pub url: String,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    _database: TestDatabase,
}

/// A client signed in to the console with its CSRF token.
pub(crate) struct Console {
    pub client: reqwest::Client,
    pub csrf: String,
}

impl TestApp {
    /// One app per backend: SQLite always, PostgreSQL when reachable (always under CI).
    pub(crate) async fn each() -> Vec<TestApp> {
        let mut apps = Vec::new();
        for database in TestDatabase::each().await {
            apps.push(TestApp::spawn(database).await);
        }
        apps
    }

    pub(crate) async fn spawn(database: TestDatabase) -> TestApp {
        Self::spawn_with(database, ServerSettings::default()).await
    }

    /// An app with `settings` (its body limit is always 64 KiB, to test the limit cheaply).
    pub(crate) async fn spawn_with(database: TestDatabase, settings: ServerSettings) -> TestApp {
        let store = Store::connect(&database.url).await.unwrap();
        store.migrate().await.unwrap();
        let clock = Arc::new(ManualClock::at(START));
        let settings = ServerSettings {
            max_body_bytes: 64 * 1024,
            ..settings
        };
        let state = AppState::new(store.clone(), clock.clone(), settings)
            .await
            .unwrap();
        let url = serve(state.clone()).await;
        let app = TestApp {
            url,
            store,
            clock,
            state,
            _database: database,
        };
        app.add_agent("admin@desk.test", AgentRole::Admin).await;
        app
    }

    /// Another server of the same desk (same database and clock), as a load balancer would
    /// reach; answers its address.
    pub(crate) async fn another_server(&self) -> String {
        let store = Store::connect(&self._database.url).await.unwrap();
        let state = AppState::new(store, self.clock.clone(), (*self.state.settings).clone())
            .await
            .unwrap();
        serve(state).await
    }

    /// The desk's database, to look at it directly.
    pub(crate) fn database_url(&self) -> &str {
        &self._database.url
    }

    pub(crate) fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    /// Adds an agent with [`PASSWORD`] straight through the store.
    pub(crate) async fn add_agent(&self, email: &str, role: AgentRole) -> i64 {
        let agent = NewAgent {
            email: email.to_owned(),
            name: email.split('@').next().unwrap().to_owned(),
            role,
            password_hash: Some(amends_server::accounts::hash_password(PASSWORD).unwrap()),
            // Supervisors approve within their own, larger authority.
            authority_limit_minor: match role {
                AgentRole::Agent => 2_500,
                AgentRole::Supervisor => 10_000,
                AgentRole::Admin => 100_000,
            },
            supervisor_id: None,
            case_access: amends_core::CaseAccess::All,
        };
        let context = AuditContext {
            actor: Actor::Shell,
            at: self.clock.now(),
            remote_addr: None,
        };
        self.store.create_agent(&agent, &context).await.unwrap().id
    }

    pub(crate) async fn sign_in(&self, email: &str) -> Console {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let response = client
            .post(self.api("/session"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "signing in as {email}");
        let body: Value = response.json().await.unwrap();
        Console {
            client,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    pub(crate) async fn admin(&self) -> Console {
        self.sign_in("admin@desk.test").await
    }

    /// A client sending a fresh API token of a new agent with `role`.
    pub(crate) async fn token_client(&self, role: AgentRole) -> reqwest::Client {
        let email = format!("{}-{}@desk.test", role.as_str(), rand_suffix());
        self.add_agent(&email, role).await;
        let console = self.sign_in(&email).await;
        let created: Value = console
            .post(self, "/tokens", &json!({"label": "tests"}))
            .await
            .json()
            .await
            .unwrap();
        let mut headers = HeaderMap::new();
        let bearer = format!("Bearer {}", created["token"].as_str().unwrap());
        headers.insert("authorization", HeaderValue::from_str(&bearer).unwrap());
        reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap()
    }

    pub(crate) async fn open_case(
        &self,
        client: &reqwest::Client,
        name: &str,
        email: &str,
        priority: &str,
    ) -> Value {
        let response = client
            .post(self.api("/cases"))
            .json(&json!({
                "customer": {"name": name, "email": email},
                "channel": "email",
                "subject": format!("{name}'s order"),
                "body": "My order has not arrived.",
                "priority": priority,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    pub(crate) async fn run_due_jobs(&self) -> JobOutcome {
        run_due_jobs(&self.state, "test-runner", self.clock.now())
            .await
            .unwrap()
    }

    /// How many cases and customers there are: what a refused request must leave unchanged.
    pub(crate) async fn counts(&self) -> (i64, usize) {
        let customers = self
            .store
            .search_customers(None, None, 0, 10_000)
            .await
            .unwrap()
            .customers
            .len();
        (self.store.count_cases().await.unwrap(), customers)
    }
}

/// Serves `state` on a random loopback port until the test ends; answers its address.
async fn serve(state: AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(amends_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    url
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Console {
    pub(crate) async fn post(&self, app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(app.api(path))
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn get(&self, app: &TestApp, path: &str) -> Value {
        let response = self.client.get(app.api(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }
}

/// Asserts a problem+json answer with `status` and, when given, the offending `field`.
pub(crate) async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    field: Option<&str>,
) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], status);
    assert!(!problem["detail"].as_str().unwrap().is_empty());
    if let Some(field) = field {
        assert_eq!(problem["field"], field, "{problem}");
    }
    problem
}

/// Sends `body` (as JSON, when given) and answers the status and the JSON body (null if none).
pub(crate) async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// GETs an API path that must answer 200, and its JSON.
pub(crate) async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> Value {
    let (status, body) = call(client, reqwest::Method::GET, app.api(path), None).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// POSTs JSON to an API path.
pub(crate) async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: Value,
) -> (u16, Value) {
    call(client, reqwest::Method::POST, app.api(path), Some(body)).await
}

/// Opens a case by email for `name` (their address made from the name) and returns its id.
pub(crate) async fn complaint(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    subject: &str,
    body: &str,
    priority: &str,
) -> i64 {
    let email = format!(
        "{}@example.com",
        name.to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
    );
    let (status, case) = post(
        app,
        client,
        "/cases",
        json!({"customer": {"name": name, "email": email}, "channel": "email",
               "subject": subject, "body": body, "priority": priority}),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    case["id"].as_i64().unwrap()
}

/// Posts a raw mail to the intake endpoint; answers the status and the JSON body.
pub(crate) async fn post_mail(app: &TestApp, client: &reqwest::Client, raw: &[u8]) -> (u16, Value) {
    let response = client
        .post(app.api("/inbound/email"))
        .header("content-type", "message/rfc822")
        .body(raw.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
