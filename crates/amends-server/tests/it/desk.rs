//! The test desk: the people who use it, each with one call per thing they do, so a story reads
//! as its steps. An [`Agent`] works through the API with a token of their own; a [`Visitor`] is
//! a customer following a signed link. Every call answers an [`Answer`] (status and JSON) or,
//! for reads that must succeed, the JSON itself.

use amends_core::AgentRole;
use amends_server::Clock;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{call, TestApp};

pub(crate) const MINUTE: i64 = 60_000;
pub(crate) const HOUR: i64 = 60 * MINUTE;
pub(crate) const DAY: i64 = 24 * HOUR;

/// What the desk answered.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The body, after checking the desk answered `status`.
    #[track_caller]
    pub(crate) fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        self.body
    }

    /// Checks a refusal: `status`, a detail, and the `field` it names (when not empty).
    #[track_caller]
    pub(crate) fn refused(self, status: u16, field: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(
            !self.body["detail"].as_str().unwrap_or("").is_empty(),
            "{}",
            self.body
        );
        if !field.is_empty() {
            assert_eq!(self.body["field"], field, "{}", self.body);
        }
    }
}

/// A member of staff using the API with a token of their own.
pub(crate) struct Agent<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
}

/// A customer with no account, following the links the desk sent them.
pub(crate) struct Visitor<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
}

impl TestApp {
    /// A new member of staff with `role`, signed in with an API token.
    pub(crate) async fn agent(&self, role: AgentRole) -> Agent<'_> {
        Agent {
            app: self,
            client: self.token_client(role).await,
        }
    }

    /// A customer following a link.
    pub(crate) fn visitor(&self) -> Visitor<'_> {
        Visitor {
            app: self,
            client: reqwest::Client::new(),
        }
    }

    /// The instant `offset` milliseconds from now on the desk's clock, as the API writes it.
    pub(crate) fn time_in(&self, offset: i64) -> String {
        self.clock.now().plus_millis(offset).to_rfc3339()
    }

    /// Lets `millis` pass and runs the jobs that came due.
    pub(crate) async fn later(&self, millis: i64) {
        self.clock.advance(millis);
        self.run_due_jobs().await;
    }
}

async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let (status, body) = call(client, method, app.api(path), body).await;
    Answer { status, body }
}

impl Agent<'_> {
    /// The desk's address, for pages a browser opens.
    pub(crate) fn url(&self) -> &str {
        &self.app.url
    }

    /// Sends `body` to an API path.
    pub(crate) async fn send(&self, method: Method, path: &str, body: Value) -> Answer {
        send(self.app, &self.client, method, path, Some(body)).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, body).await
    }

    /// Reads an API path that must answer 200.
    pub(crate) async fn get(&self, path: &str) -> Value {
        send(self.app, &self.client, Method::GET, path, None)
            .await
            .expect(200)
    }

    /// Opens a case by email for `name` (the address made from the name) with `priority`.
    pub(crate) async fn open_case(&self, name: &str, priority: &str) -> Case {
        let email = format!("{}@example.com", name.to_lowercase());
        let case = self
            .app
            .open_case(&self.client, name, &email, priority)
            .await;
        Case::of(&case)
    }

    /// Opens a case from the whole request body.
    pub(crate) async fn open(&self, request: Value) -> Value {
        self.post("/cases", request).await.expect(201)
    }

    /// The case as the API shows it.
    pub(crate) async fn case(&self, case: &Case) -> Value {
        self.get(&format!("/cases/{}", case.id)).await
    }

    /// Changes a case (status, priority, owner, the follow-up's gesture).
    pub(crate) async fn change(&self, case: &Case, change: Value) -> Answer {
        self.send(Method::PATCH, &format!("/cases/{}", case.id), change)
            .await
    }

    /// Promises `description` of `kind` on a case; `due_in` milliseconds from now, or no time.
    pub(crate) async fn promise(
        &self,
        case: &Case,
        kind: &str,
        description: &str,
        due_in: Option<i64>,
    ) -> Answer {
        let mut body = json!({"kind": kind, "description": description});
        if let Some(due_in) = due_in {
            body["due_at"] = json!(self.app.time_in(due_in));
        }
        self.post(&format!("/cases/{}/promises", case.id), body)
            .await
    }

    pub(crate) async fn keep(&self, promise: i64) -> Answer {
        self.post(&format!("/promises/{promise}/keep"), json!({}))
            .await
    }

    pub(crate) async fn extend(&self, promise: i64, due_in: i64, reason: &str) -> Answer {
        let body = json!({"due_at": self.app.time_in(due_in), "reason": reason});
        self.post(&format!("/promises/{promise}/extend"), body)
            .await
    }

    /// The kinds of this agent's notifications, newest first.
    pub(crate) async fn notifications(&self) -> Vec<String> {
        let all = self.get("/notifications").await;
        all.as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The notices queued for a case's customer, newest first.
    pub(crate) async fn notices(&self, case: &Case) -> Vec<Value> {
        let all = self.get(&format!("/notices?case_id={}", case.id)).await;
        all.as_array().unwrap().clone()
    }

    /// The queue's items, most urgent first.
    pub(crate) async fn queue(&self) -> Vec<Value> {
        self.get("/queue").await["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    pub(crate) async fn stats(&self) -> Value {
        self.get("/stats").await
    }

    /// The standing of a case's customer.
    pub(crate) async fn standing(&self, case: &Case) -> Value {
        self.get(&format!("/customers/{}/standing", case.customer_id))
            .await
    }

    pub(crate) async fn compensate(&self, case: &Case, grant: Value) -> Answer {
        self.post(&format!("/cases/{}/compensation", case.id), grant)
            .await
    }

    pub(crate) async fn decide(&self, compensation: i64, approve: bool) -> Answer {
        let body = json!({"approve": approve});
        self.post(&format!("/compensation/{compensation}/decision"), body)
            .await
    }

    pub(crate) async fn flag_win_back(&self, case: &Case) -> Answer {
        self.post(&format!("/cases/{}/win-back", case.id), json!({}))
            .await
    }

    pub(crate) async fn settle_win_back(&self, case: &Case, outcome: &str) -> Answer {
        let path = format!("/cases/{}/win-back", case.id);
        self.send(Method::PUT, &path, json!({"outcome": outcome}))
            .await
    }

    /// Takes the next step of the abuse policy on a case.
    pub(crate) async fn abuse_step(&self, case: &Case) -> Answer {
        self.post(&format!("/cases/{}/abuse-policy", case.id), json!({}))
            .await
    }

    /// Writes down a fact the customer gave.
    pub(crate) async fn note_fact(&self, case: &Case, text: &str) -> Answer {
        self.post(&format!("/cases/{}/facts", case.id), json!({"text": text}))
            .await
    }

    /// Reads a fact back, corrects it or confirms it.
    pub(crate) async fn change_fact(&self, fact: i64, change: Value) -> Answer {
        self.send(Method::PATCH, &format!("/facts/{fact}"), change)
            .await
    }

    pub(crate) async fn record_expectation(&self, case: &Case, expectation: Value) -> Answer {
        let path = format!("/cases/{}/expectation", case.id);
        self.send(Method::PUT, &path, expectation).await
    }

    /// Shares a plan of `(description, due in)` steps with the customer.
    pub(crate) async fn share_plan(&self, case: &Case, steps: &[(&str, i64)]) -> Answer {
        let steps: Vec<Value> = steps
            .iter()
            .map(|(description, due_in)| {
                json!({"description": description, "due_at": self.app.time_in(*due_in)})
            })
            .collect();
        let path = format!("/cases/{}/plan", case.id);
        self.send(Method::PUT, &path, json!({"steps": steps})).await
    }

    pub(crate) async fn step_done(&self, step: i64) -> Answer {
        self.post(&format!("/plan-steps/{step}/done"), json!({}))
            .await
    }

    pub(crate) async fn draft_summary(&self, case: &Case) -> String {
        let draft = self.get(&format!("/cases/{}/summary/draft", case.id)).await;
        draft["body"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn send_summary(&self, case: &Case, body: &str) -> Answer {
        self.post(
            &format!("/cases/{}/summary", case.id),
            json!({"body": body}),
        )
        .await
    }
}

impl Visitor<'_> {
    /// Opens the page a link leads to (`surveys`, `plans` or `summaries`).
    pub(crate) async fn open(&self, page: &str, token: &str) -> Answer {
        let path = format!("/public/{page}/{token}");
        send(self.app, &self.client, Method::GET, &path, None).await
    }

    /// Answers the page a link leads to.
    pub(crate) async fn answer(&self, page: &str, token: &str, answer: Value) -> Answer {
        let path = format!("/public/{page}/{token}");
        send(self.app, &self.client, Method::POST, &path, Some(answer)).await
    }
}

/// A case the test opened: the ids its steps need.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Case {
    pub id: i64,
    pub customer_id: i64,
}

impl Case {
    pub(crate) fn of(case: &Value) -> Case {
        Case {
            id: case["id"].as_i64().unwrap(),
            customer_id: case["customer_id"].as_i64().unwrap(),
        }
    }
}

/// The token of the `page` link (`survey`, `plan`, `summary`) in a notice's body.
pub(crate) fn link_token(notice: &Value, page: &str) -> String {
    let body = notice["body"].as_str().unwrap();
    let link = body
        .split_whitespace()
        .find(|w| w.contains(&format!("/{page}/")))
        .unwrap_or_else(|| panic!("no {page} link in {body}"));
    link.rsplit('/').next().unwrap().to_owned()
}

/// `token` moved onto another case: the signature no longer matches.
pub(crate) fn borrowed(token: &str, from: &Case, to: &Case) -> String {
    token.replacen(&format!("{}.", from.id), &format!("{}.", to.id), 1)
}
