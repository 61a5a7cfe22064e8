//! A chat whose server is killed with -9 mid-conversation: the visitor's browser reconnects to
//! the desk's other server, sends again the line it had no acknowledgement for, and asks for
//! what it missed; nothing is lost and nothing is doubled.

use std::time::Duration;

use amends_store::testing::TestDatabase;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use super::{bootstrap, Desk};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(desk: &Desk, key: &str, after: i64) -> Socket {
    let url = format!("{}/chat/v1/socket", desk.url.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello = json!({"type": "hello", "key": key, "after": after});
    socket.send(Message::text(hello.to_string())).await.unwrap();
    assert_eq!(next(&mut socket).await["type"], "ready");
    socket
}

async fn next(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within ten seconds")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = frame {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

async fn say(socket: &mut Socket, client_id: &str, text: &str) {
    let frame = json!({"type": "say", "client_id": client_id, "text": text});
    socket.send(Message::text(frame.to_string())).await.unwrap();
}

async fn reply(desk: &Desk, token: &str, case: i64, body: &str) {
    let response = reqwest::Client::new()
        .post(desk.api(&format!("/cases/{case}/messages")))
        .bearer_auth(token)
        .json(&json!({"direction": "outbound", "body": body}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn a_chat_outlives_its_server_killed_with_9() {
    let Some(database) = TestDatabase::postgres().await else {
        return;
    };
    let token = bootstrap(&database.url);
    let agents_server = Desk::start(&database.url).await;
    let mut visitors_server = Desk::start(&database.url).await;
    let started: Value = reqwest::Client::new()
        .post(format!("{}/chat/v1/chats", visitors_server.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = started["key"].as_str().unwrap().to_owned();
    let mut socket = connect(&visitors_server, &key, 0).await;
    say(
        &mut socket,
        "one",
        "My heating is broken and it is freezing",
    )
    .await;
    assert_eq!(next(&mut socket).await["seq"], 1);
    assert_eq!(next(&mut socket).await["line"]["seq"], 1);
    let store = amends_store::Store::connect(&database.url).await.unwrap();
    let chat = store
        .chat_by_key(&amends_server::accounts::digest(&key))
        .await
        .unwrap();
    let case = chat.case_id.unwrap();
    reply(
        &agents_server,
        &token,
        case,
        "I'm sorry. Is the boiler showing a code?",
    )
    .await;
    assert_eq!(next(&mut socket).await["line"]["seq"], 2);

    // The visitor writes and their server dies before they hear back; the agent writes meanwhile.
    say(&mut socket, "two", "It says F28").await;
    visitors_server.kill_hard();
    reply(
        &agents_server,
        &token,
        case,
        "Thank you, an engineer is booked.",
    )
    .await;

    // Their browser goes to the other server with the last line it had and sends "two" again.
    let mut socket = connect(&agents_server, &key, 2).await;
    say(&mut socket, "two", "It says F28").await;
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let frame = next(&mut socket).await;
        match frame["type"].as_str() {
            Some("line") => seen.push((
                frame["line"]["seq"].as_i64().unwrap(),
                frame["line"]["text"].as_str().unwrap().to_owned(),
            )),
            Some("ack") => seen.push((frame["seq"].as_i64().unwrap(), "ack".to_owned())),
            other => panic!("unexpected {other:?}: {frame}"),
        }
    }
    let lines: Vec<&(i64, String)> = seen.iter().filter(|(_, text)| text != "ack").collect();
    assert_eq!(lines.len(), 2, "the two lines after 2, each once: {seen:?}");
    assert!(
        lines.windows(2).all(|w| w[0].0 < w[1].0),
        "in order: {seen:?}"
    );
    let messages = store.case_messages(case).await.unwrap();
    let twos = messages.iter().filter(|m| m.body == "It says F28").count();
    assert_eq!(
        (messages.len(), twos),
        (4, 1),
        "nothing lost, nothing doubled"
    );
    store.close().await;
}
