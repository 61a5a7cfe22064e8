//! The chat on a business's website (issue 18): a visitor and an agent talking live over a
//! WebSocket and over the fallback, resuming without a line lost or doubled, signed-in
//! visitors, a desk with no one at work, and what a visitor must not be able to do.

use std::time::Duration;

use amends_core::AgentRole;
use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{get, post, TestApp};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A visitor's browser: the chat's key, an HTTP client and, once connected, a socket.
pub(crate) struct Visitor {
    pub url: String,
    pub key: String,
    pub client: reqwest::Client,
}

impl Visitor {
    pub(crate) async fn start(url: &str, body: Value) -> Visitor {
        let client = reqwest::Client::new();
        let response = client
            .post(format!("{url}/chat/v1/chats"))
            .header("origin", "https://shop.example")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "https://shop.example"
        );
        let started: Value = response.json().await.unwrap();
        Visitor {
            url: url.to_owned(),
            key: started["key"].as_str().unwrap().to_owned(),
            client,
        }
    }

    /// Connects (to `url`, which may be another server of the desk) and says hello.
    pub(crate) async fn connect(&self, url: &str, after: i64) -> (Socket, Value) {
        let ws = format!("{}/chat/v1/socket", url.replace("http://", "ws://"));
        let (mut socket, _) = tokio_tungstenite::connect_async(ws).await.unwrap();
        let hello = json!({"type": "hello", "key": self.key, "after": after});
        socket.send(Message::text(hello.to_string())).await.unwrap();
        let ready = next_frame(&mut socket).await;
        assert_eq!(ready["type"], "ready", "{ready}");
        (socket, ready)
    }

    /// Writes a line by the fallback's plain request.
    pub(crate) async fn line(
        &self,
        client_id: impl std::fmt::Display,
        text: impl std::fmt::Display,
    ) -> (u16, Value) {
        let body = json!({"client_id": client_id.to_string(), "text": text.to_string()});
        self.call(reqwest::Method::POST, "/chat/v1/lines", Some(body))
            .await
    }

    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.url))
            .header("x-chat-key", &self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// The next text frame, within five seconds.
pub(crate) async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame within five seconds")
            .expect("the socket is open")
            .unwrap();
        match frame {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Close(_) => return json!({"type": "closed"}),
            _ => {}
        }
    }
}

/// Says a line on the socket.
pub(crate) async fn say(socket: &mut Socket, client_id: &str, text: &str) {
    let frame = json!({"type": "say", "client_id": client_id, "text": text});
    socket.send(Message::text(frame.to_string())).await.unwrap();
}

/// No frame but pings for a moment.
async fn quiet(socket: &mut Socket) {
    if let Ok(Some(Ok(Message::Text(text)))) =
        tokio::time::timeout(Duration::from_millis(300), socket.next()).await
    {
        panic!("expected quiet, got {text}");
    }
}

pub(crate) async fn case_of(app: &TestApp, key: &str) -> i64 {
    let chat = app
        .store
        .chat_by_key(&amends_server::accounts::digest(key))
        .await
        .unwrap();
    chat.case_id.expect("the first line opened a case")
}

#[tokio::test]
async fn a_visitor_and_an_agent_talk_live_and_a_reconnect_misses_nothing() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let visitor = Visitor::start(&app.url, json!({})).await;
        let (mut socket, ready) = visitor.connect(&app.url, 0).await;
        assert_eq!(ready["chat"]["agents_at_work"], true, "{ready}");
        assert_eq!(ready["chat"]["last_seq"], 0);

        say(
            &mut socket,
            "c1",
            "My parcel never came and nobody answers my emails",
        )
        .await;
        let ack = next_frame(&mut socket).await;
        assert_eq!(
            (ack["type"].as_str(), ack["seq"].as_i64()),
            (Some("ack"), Some(1)),
            "{ack}"
        );
        let line = next_frame(&mut socket).await;
        assert_eq!(line["line"]["from"], "customer", "{line}");
        assert_eq!(line["line"]["client_id"], "c1");
        let case_id = case_of(&app, &visitor.key).await;
        let case = get(&app, &agent, &format!("/cases/{case_id}")).await;
        assert_eq!(case["channel"], "chat");
        assert!(case["subject"]
            .as_str()
            .unwrap()
            .starts_with("Chat: My parcel"));

        // The agent's reply reaches the visitor at once, with the agent's name.
        let (status, reply) = post(
            &app,
            &agent,
            &format!("/cases/{case_id}/messages"),
            json!({"direction": "outbound", "body": "I'm sorry. Let me check where it is."}),
        )
        .await;
        assert_eq!(
            (status, reply["channel"].as_str()),
            (201, Some("chat")),
            "{reply}"
        );
        let line = next_frame(&mut socket).await;
        assert_eq!(line["line"]["seq"], 2, "{line}");
        assert_eq!(line["line"]["from"], "agent");
        assert!(line["line"]["agent"]
            .as_str()
            .unwrap()
            .starts_with("agent-"));

        // A line sent again (its ack was lost) is written once; a note never reaches the chat.
        say(
            &mut socket,
            "c1",
            "My parcel never came and nobody answers my emails",
        )
        .await;
        let again = next_frame(&mut socket).await;
        assert_eq!(
            (again["type"].as_str(), again["seq"].as_i64()),
            (Some("ack"), Some(1))
        );
        let (status, _) = post(
            &app,
            &agent,
            &format!("/cases/{case_id}/messages"),
            json!({"direction": "note", "body": "Courier says lost."}),
        )
        .await;
        assert_eq!(status, 201);
        quiet(&mut socket).await;

        // The agent typing shows; a frame that does not read is refused and the chat goes on.
        let (status, _) = call_put(&app, &agent, case_id, json!({"typing": true})).await;
        assert_eq!(status, 200);
        let typing = next_frame(&mut socket).await;
        assert_eq!(
            (typing["type"].as_str(), typing["on"].as_bool()),
            (Some("typing"), Some(true))
        );
        socket.send(Message::text("{not json")).await.unwrap();
        assert_eq!(next_frame(&mut socket).await["type"], "error");
        drop(socket);

        // Away while the agent wrote; back with the last number it had, it gets only the rest.
        post(
            &app,
            &agent,
            &format!("/cases/{case_id}/messages"),
            json!({"direction": "outbound", "body": "Found it: it is at the depot."}),
        )
        .await;
        let (mut socket, ready) = visitor.connect(&app.url, 2).await;
        assert_eq!(ready["chat"]["last_seq"], 3);
        let line = next_frame(&mut socket).await;
        assert_eq!(
            (line["line"]["seq"].as_i64(), line["line"]["text"].as_str()),
            (Some(3), Some("Found it: it is at the depot."))
        );
        quiet(&mut socket).await;

        // A network without WebSocket: a long poll held until the agent answers, then a line
        // sent by a plain request.
        let poller = {
            let visitor_client = visitor.client.clone();
            let url = format!("{}/chat/v1/lines?after=3&wait=10", app.url);
            let key = visitor.key.clone();
            tokio::spawn(async move {
                let response = visitor_client
                    .get(url)
                    .header("x-chat-key", key)
                    .send()
                    .await
                    .unwrap();
                response.json::<Value>().await.unwrap()
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        post(
            &app,
            &agent,
            &format!("/cases/{case_id}/messages"),
            json!({"direction": "outbound", "body": "It will be with you tomorrow."}),
        )
        .await;
        let polled = tokio::time::timeout(Duration::from_secs(5), poller)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(polled["lines"][0]["seq"], 4, "{polled}");
        assert_eq!(next_frame(&mut socket).await["line"]["seq"], 4);
        let (status, line) = visitor.line("c2", "Thank you!").await;
        assert_eq!((status, line["seq"].as_i64()), (200, Some(5)), "{line}");
        let case = get(&app, &agent, &format!("/cases/{case_id}")).await;
        assert_eq!(
            case["messages"].as_array().unwrap().len(),
            6,
            "two lines, three replies, a note"
        );
    }
}

async fn call_put(
    app: &TestApp,
    client: &reqwest::Client,
    case_id: i64,
    body: Value,
) -> (u16, Value) {
    let response = client
        .put(app.api(&format!("/cases/{case_id}/presence")))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

pub(crate) fn signature(secret: &str, id: &str, email: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{id}\n{email}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_signed_in_visitor_lands_on_their_record_and_a_forged_one_is_refused() {
    for app in TestApp::each().await {
        let admin = app.token_client(AgentRole::Admin).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Ann Lee", "ann@example.com", "normal")
            .await;
        let ann = case["customer_id"].as_i64().unwrap();
        let secret = get(&app, &admin, "/chat/identity-secret").await["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _) = crate::helpers::call(
            &agent,
            reqwest::Method::GET,
            app.api("/chat/identity-secret"),
            None,
        )
        .await;
        assert_eq!(status, 403, "only admins see the secret");

        let identity = |signature: String| json!({"identity": {"id": "u-7", "email": "ann@example.com", "name": "Ann Lee", "signature": signature}});
        let forged = reqwest::Client::new()
            .post(format!("{}/chat/v1/chats", app.url))
            .json(&identity(signature(
                "not the secret",
                "u-7",
                "ann@example.com",
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 401);
        let other = reqwest::Client::new()
            .post(format!("{}/chat/v1/chats", app.url))
            .json(&identity(signature(&secret, "u-8", "ann@example.com")))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 401, "signed for another id");

        let visitor = Visitor::start(
            &app.url,
            identity(signature(&secret, "u-7", "ann@example.com")),
        )
        .await;
        let (status, line) = visitor.line("a", "Hi, it's me again").await;
        assert_eq!(status, 201, "{line}");
        let chat_case = case_of(&app, &visitor.key).await;
        let opened = get(&app, &agent, &format!("/cases/{chat_case}")).await;
        assert_eq!(opened["customer_id"], ann, "the signed visitor is Ann");
    }
}

#[tokio::test]
async fn with_no_one_at_work_the_visitor_leaves_an_address_and_replies_go_by_mail() {
    for app in TestApp::each().await {
        let visitor = Visitor::start(&app.url, json!({})).await;
        let (status, chat) = visitor
            .call(reqwest::Method::GET, "/chat/v1/chat", None)
            .await;
        assert_eq!(
            (status, chat["agents_at_work"].as_bool()),
            (200, Some(false)),
            "{chat}"
        );
        visitor
            .line("x", "Is anyone there? My card was charged twice.")
            .await;
        let (status, _) = visitor
            .call(
                reqwest::Method::POST,
                "/chat/v1/address",
                Some(json!({"email": "not an address"})),
            )
            .await;
        assert_eq!(status, 422);
        let (status, chat) = visitor
            .call(
                reqwest::Method::POST,
                "/chat/v1/address",
                Some(json!({"email": "bo@example.com"})),
            )
            .await;
        assert_eq!(
            (status, chat["by_email"].as_bool()),
            (200, Some(true)),
            "{chat}"
        );

        let agent = app.token_client(AgentRole::Agent).await;
        let case_id = case_of(&app, &visitor.key).await;
        let (status, reply) = post(
            &app,
            &agent,
            &format!("/cases/{case_id}/messages"),
            json!({"direction": "outbound", "body": "Sorry about that: the second charge is refunded."}),
        )
        .await;
        assert_eq!(
            (status, reply["channel"].as_str()),
            (201, Some("email")),
            "{reply}"
        );
        let notices = get(&app, &agent, &format!("/notices?case_id={case_id}")).await;
        let notice = &notices.as_array().unwrap()[0];
        assert_eq!(
            (notice["channel"].as_str(), notice["kind"].as_str()),
            (Some("email"), Some("reply")),
            "{notices}"
        );
        let customer = get(
            &app,
            &agent,
            &format!(
                "/customers/{}",
                get(&app, &agent, &format!("/cases/{case_id}")).await["customer_id"]
            ),
        )
        .await;
        assert!(
            customer.to_string().contains("bo@example.com"),
            "{customer}"
        );
    }
}

#[tokio::test]
async fn floods_oversized_lines_and_wrong_keys_are_refused_and_write_nothing() {
    for app in TestApp::each().await {
        let visitor = Visitor::start(&app.url, json!({})).await;
        let line = |id: String, text: String| json!({"client_id": id, "text": text});
        let (status, problem) = visitor
            .call(
                reqwest::Method::POST,
                "/chat/v1/lines",
                Some(line("big".into(), "x".repeat(4_001))),
            )
            .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some("text")),
            "{problem}"
        );
        let (status, _) = visitor
            .call(
                reqwest::Method::POST,
                "/chat/v1/lines",
                Some(line("bad id!".into(), "hello".into())),
            )
            .await;
        assert_eq!(status, 422);
        for i in 0..10 {
            let (status, _) = visitor
                .call(
                    reqwest::Method::POST,
                    "/chat/v1/lines",
                    Some(line(format!("n{i}"), format!("line {i}"))),
                )
                .await;
            assert!(status == 200 || status == 201, "{i}: {status}");
        }
        let (status, _) = visitor
            .call(
                reqwest::Method::POST,
                "/chat/v1/lines",
                Some(line("n10".into(), "one more".into())),
            )
            .await;
        assert_eq!(
            status, 429,
            "the clock stands still, so the visitor's burst is spent"
        );
        app.clock.advance(2_000);
        let (status, _) = visitor
            .call(
                reqwest::Method::POST,
                "/chat/v1/lines",
                Some(line("n11".into(), "later".into())),
            )
            .await;
        assert_eq!(status, 200);
        let (_, polled) = visitor
            .call(reqwest::Method::GET, "/chat/v1/lines?after=0", None)
            .await;
        assert_eq!(
            polled["lines"].as_array().unwrap().len(),
            11,
            "ten and the one after the wait"
        );

        let stranger = Visitor {
            key: "wrong".into(),
            ..visitor
        };
        let (status, _) = stranger
            .call(reqwest::Method::GET, "/chat/v1/lines", None)
            .await;
        assert_eq!(status, 401);
        let ws = format!("{}/chat/v1/socket", app.url.replace("http://", "ws://"));
        let (mut socket, _) = tokio_tungstenite::connect_async(&ws).await.unwrap();
        socket
            .send(Message::text(
                json!({"type": "hello", "key": "wrong"}).to_string(),
            ))
            .await
            .unwrap();
        assert_eq!(next_frame(&mut socket).await["type"], "error");
        assert_eq!(next_frame(&mut socket).await["type"], "closed");
        let (mut socket, _) = tokio_tungstenite::connect_async(&ws).await.unwrap();
        socket
            .send(Message::text("x".repeat(64 * 1024)))
            .await
            .unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .unwrap();
        assert!(
            !matches!(ended, Some(Ok(Message::Text(_)))),
            "an oversized frame ends the connection"
        );
    }
}

/// Customer on one server, agent on another, one PostgreSQL between them: each sees the other's
/// lines and typing at once, and a visitor moved to the other server misses nothing.
#[tokio::test]
async fn a_chat_spans_two_servers_on_one_postgres() {
    let Some(database) = amends_store::testing::TestDatabase::postgres().await else {
        return;
    };
    let app = TestApp::spawn(database).await;
    let other = app.another_server().await;
    let agent = app.token_client(AgentRole::Agent).await;
    let visitor = Visitor::start(&other, json!({})).await;
    let (mut socket, _) = visitor.connect(&other, 0).await;
    say(&mut socket, "one", "The app logs me out every five minutes").await;
    assert_eq!(next_frame(&mut socket).await["type"], "ack");
    assert_eq!(next_frame(&mut socket).await["line"]["seq"], 1);
    let case_id = case_of(&app, &visitor.key).await;

    // The agent's reply, written through the first server, reaches the visitor on the other.
    let (status, _) = post(
        &app,
        &agent,
        &format!("/cases/{case_id}/messages"),
        json!({"direction": "outbound", "body": "Sorry! Which phone is it?"}),
    )
    .await;
    assert_eq!(status, 201);
    let line = next_frame(&mut socket).await;
    assert_eq!(
        (line["line"]["seq"].as_i64(), line["line"]["from"].as_str()),
        (Some(2), Some("agent"))
    );

    // Typing crosses too, both ways.
    call_put(&app, &agent, case_id, json!({"typing": true})).await;
    assert_eq!(next_frame(&mut socket).await["type"], "typing");
    socket
        .send(Message::text(
            json!({"type": "typing", "on": true}).to_string(),
        ))
        .await
        .unwrap();
    let mut seen = false;
    for _ in 0..50 {
        let (_, presence) = call_put(&app, &agent, case_id, json!({"typing": false})).await;
        if presence["customer_typing"] == true {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        seen,
        "the agent's server heard the visitor typing on the other"
    );

    // The visitor's server goes away; back on the first one with what it had, it gets the rest.
    // Gone while typing, they are typing no more, on the agent's server too.
    drop(socket);
    let mut stopped = false;
    for _ in 0..50 {
        let (_, presence) = call_put(&app, &agent, case_id, json!({"typing": false})).await;
        if presence["customer_typing"] == false {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stopped, "a visitor gone while typing stops typing");
    post(
        &app,
        &agent,
        &format!("/cases/{case_id}/messages"),
        json!({"direction": "outbound", "body": "Try updating the app, please."}),
    )
    .await;
    let (mut socket, _) = visitor.connect(&app.url, 2).await;
    assert_eq!(next_frame(&mut socket).await["line"]["seq"], 3);
    say(&mut socket, "two", "Updated, it works now").await;
    assert_eq!(next_frame(&mut socket).await["seq"], 4);
    assert_eq!(next_frame(&mut socket).await["line"]["seq"], 4);
    quiet(&mut socket).await;
}

/// A customer turning furious in a live chat tells a supervisor at once and puts the chat at
/// the top of the queue; a calm one does neither.
#[tokio::test]
async fn a_furious_line_in_a_chat_tells_a_supervisor_and_tops_the_queue() {
    for app in TestApp::each().await {
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let line = |id: &str, text: &str| Some(json!({"client_id": id, "text": text}));
        let calm = Visitor::start(&app.url, json!({})).await;
        calm.call(
            reqwest::Method::POST,
            "/chat/v1/lines",
            line("a", "Where is my parcel? It is two weeks late."),
        )
        .await;
        let rising = Visitor::start(&app.url, json!({})).await;
        rising
            .call(
                reqwest::Method::POST,
                "/chat/v1/lines",
                line("a", "Hi, can you tell me your opening hours?"),
            )
            .await;
        let furious = |alerts: &Value| {
            alerts
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["kind"] == "furious")
                .count()
        };
        assert_eq!(furious(&get(&app, &supervisor, "/notifications").await), 0);
        rising
            .call(
                reqwest::Method::POST,
                "/chat/v1/lines",
                line("b", "This is the THIRD time my order is wrong. I am absolutely furious, this is a disgrace!!!"),
            )
            .await;
        let alerts = get(&app, &supervisor, "/notifications").await;
        assert_eq!(furious(&alerts), 1, "{alerts}");
        let queue = get(&app, &supervisor, "/queue?channel=chat").await;
        let top = queue["items"][0]["id"].as_i64();
        assert_eq!(top, Some(case_of(&app, &rising.key).await), "{queue}");
    }
}

/// Agents take waiting chats up to their capacity, one agent per chat, and pass one on to a
/// supervisor with a note that reaches them.
#[tokio::test]
async fn agents_take_chats_within_capacity_and_pass_them_on() {
    for app in TestApp::each().await {
        let ann = app.token_client(AgentRole::Agent).await;
        let bo = app.token_client(AgentRole::Agent).await;
        let boss_id = app.add_agent("boss@desk.test", AgentRole::Supervisor).await;
        let mut cases = Vec::new();
        for n in 0..4 {
            let visitor = Visitor::start(&app.url, json!({})).await;
            visitor
                .line("a", format!("Question {n} about my order"))
                .await;
            cases.push(case_of(&app, &visitor.key).await);
        }
        let desk = get(&app, &ann, "/chats").await;
        assert_eq!(
            (
                desk["waiting"].as_array().unwrap().len(),
                desk["capacity"].as_i64()
            ),
            (4, Some(3)),
            "{desk}"
        );
        for case in &cases[..3] {
            let (status, taken) =
                post(&app, &ann, &format!("/cases/{case}/accept"), json!({})).await;
            assert_eq!(
                (status, taken["status"].as_str()),
                (200, Some("open")),
                "{taken}"
            );
        }
        let (status, problem) = post(
            &app,
            &ann,
            &format!("/cases/{}/accept", cases[3]),
            json!({}),
        )
        .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some("capacity")),
            "{problem}"
        );
        let (status, _) = post(&app, &bo, &format!("/cases/{}/accept", cases[0]), json!({})).await;
        assert_eq!(status, 409, "Ann took it first");
        let desk = get(&app, &ann, "/chats").await;
        assert_eq!(
            (
                desk["waiting"].as_array().unwrap().len(),
                desk["mine"].as_array().unwrap().len()
            ),
            (1, 3)
        );

        let (status, passed) = post(
            &app,
            &ann,
            &format!("/cases/{}/transfer", cases[0]),
            json!({"to_agent_id": boss_id, "note": "Asks for a refund above my authority"}),
        )
        .await;
        assert_eq!(
            (status, passed["owner_id"].as_i64()),
            (200, Some(boss_id)),
            "{passed}"
        );
        let case = get(&app, &ann, &format!("/cases/{}", cases[0])).await;
        assert!(
            case["messages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["direction"] == "note"
                    && m["body"].as_str().unwrap().contains("Asks for a refund")),
            "{case}"
        );
        let boss = app.sign_in("boss@desk.test").await;
        let told = boss.get(&app, "/notifications").await;
        assert!(
            told.as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "chat_passed"),
            "{told}"
        );
        let (status, taken) = post(
            &app,
            &ann,
            &format!("/cases/{}/accept", cases[3]),
            json!({}),
        )
        .await;
        assert_eq!(
            (status, taken["owner_id"].is_i64()),
            (200, true),
            "room again after passing one on"
        );
    }
}

/// The figures count chats, how fast they were answered and resolved, the ones left before an
/// answer, and chats per agent.
#[tokio::test]
async fn the_figures_count_chats_answers_and_the_ones_left_unanswered() {
    for app in TestApp::each().await {
        let ann = app.token_client(AgentRole::Supervisor).await;
        let answered = Visitor::start(&app.url, json!({})).await;
        answered.line("a", "My card was declined").await;
        let left = Visitor::start(&app.url, json!({})).await;
        left.line("a", "Hello? Anyone?").await;
        let case = case_of(&app, &answered.key).await;
        app.clock.advance(30_000);
        let (status, _) = post(&app, &ann, &format!("/cases/{case}/accept"), json!({})).await;
        assert_eq!(status, 200);
        post(
            &app,
            &ann,
            &format!("/cases/{case}/messages"),
            json!({"direction": "outbound", "body": "Sorry about that, let me look."}),
        )
        .await;
        app.clock.advance(90_000);
        let (status, _) = crate::helpers::call(
            &ann,
            reqwest::Method::PATCH,
            app.api(&format!("/cases/{case}")),
            Some(json!({"status": "resolved"})),
        )
        .await;
        assert_eq!(status, 200);
        let figures = get(&app, &ann, "/stats").await;
        assert_eq!(figures["chat"]["chats"], 2, "{figures}");
        assert_eq!(
            figures["chat"]["abandoned"], 0,
            "two minutes is not gone yet"
        );
        assert_eq!(figures["chat"]["first_response"]["median"], 30);
        assert_eq!(figures["chat"]["resolution"]["median"], 120);
        assert_eq!(figures["chat"]["per_agent"][0]["chats"], 1);
        app.clock.advance(10 * 60_000);
        let figures = get(&app, &ann, "/stats").await;
        assert_eq!(figures["chat"]["abandoned"], 1, "{figures}");
    }
}
