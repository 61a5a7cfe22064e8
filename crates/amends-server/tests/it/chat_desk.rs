//! How the desk runs its chat (issue 18): the assistant (with it on, a calm visitor is greeted
//! and asked for an order number and an address, then handed to a person with what it
//! collected; an upset one, or one who asks for a person, is handed over at once; it goes quiet
//! once an agent takes the chat; the figures count its hand-offs by reason), opening hours, and
//! each agent's own capacity.

use amends_core::AgentRole;
use amends_server::{ChatSettings, ServerSettings};
use amends_store::testing::TestDatabase;
use serde_json::{json, Value};

use crate::chat::{case_of, Visitor};
use crate::helpers::{get, post, TestApp};

async fn each_app_with_the_assistant() -> Vec<TestApp> {
    let mut apps = Vec::new();
    for database in TestDatabase::each().await {
        let settings = ServerSettings {
            chat: ChatSettings {
                assistant: true,
                ..ChatSettings::default()
            },
            ..ServerSettings::default()
        };
        apps.push(TestApp::spawn_with(database, settings).await);
    }
    apps
}

/// Every line of the visitor's chat: (from, who, text).
async fn lines(visitor: &Visitor) -> Vec<(String, String, String)> {
    let (status, answer) = visitor
        .call(reqwest::Method::GET, "/chat/v1/lines?after=0&wait=0", None)
        .await;
    assert_eq!(status, 200, "{answer}");
    answer["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (text(&l["from"]), text(&l["agent"]), text(&l["text"]))
        })
        .collect()
}

fn notes(case: &Value) -> Vec<String> {
    case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "note")
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_assistant_collects_details_and_hands_every_visitor_to_a_person() {
    for app in each_app_with_the_assistant().await {
        let ann = app.token_client(AgentRole::Supervisor).await;

        // A calm question: asked for an order number, then an address, then handed over.
        let calm = Visitor::start(&app.url, json!({})).await;
        calm.line("a", "Hi, can I change the delivery day").await;
        let said = lines(&calm).await;
        assert_eq!(said.len(), 2, "{said:?}");
        assert_eq!(
            (said[1].0.as_str(), said[1].1.as_str()),
            ("agent", "Assistant")
        );
        assert!(said[1].2.contains("order number"), "{said:?}");
        calm.line("b", "It is 55213").await;
        assert!(lines(&calm).await[3].2.contains("email address"));
        calm.line("c", "kim@example.com").await;
        let said = lines(&calm).await;
        assert!(
            said[5].2.contains("passing you to a member of our team"),
            "{said:?}"
        );
        calm.line("c", "kim@example.com").await;
        assert_eq!(
            lines(&calm).await.len(),
            6,
            "a line sent again gets no second answer"
        );
        let case_id = case_of(&app, &calm.key).await;
        let case = get(&app, &ann, &format!("/cases/{case_id}")).await;
        assert!(
            notes(&case)
                .iter()
                .any(|n| n.contains("55213") && n.contains("kim@example.com")),
            "the person reads what was collected: {case}"
        );
        assert!(
            case["first_response_at"].is_null(),
            "the assistant is no first answer"
        );
        calm.line("d", "Thanks").await;
        assert_eq!(lines(&calm).await.len(), 7, "quiet once handed over");

        // Upset at once: no questions, straight to a person, and the chat tops the queue.
        let upset = Visitor::start(&app.url, json!({})).await;
        upset
            .line(
                "a",
                "This is a disgrace. Third time my order is late and nobody answers!",
            )
            .await;
        let said = lines(&upset).await;
        assert_eq!(said.len(), 2);
        assert!(
            said[1].2.starts_with("I'm sorry this has happened"),
            "{said:?}"
        );
        assert!(
            !said[1].2.contains("order number"),
            "never questioned first"
        );

        // Asks for a person: handed over.
        let person = Visitor::start(&app.url, json!({})).await;
        person.line("a", "Can I talk to a human please").await;
        assert!(lines(&person).await[1].2.contains("passing you"));

        // An agent takes a chat first: the assistant goes quiet.
        let taken = Visitor::start(&app.url, json!({})).await;
        taken.line("a", "Hello there").await;
        let case = case_of(&app, &taken.key).await;
        let (status, _) = post(&app, &ann, &format!("/cases/{case}/accept"), json!({})).await;
        assert_eq!(status, 200);
        taken.line("b", "Order 99812").await;
        assert_eq!(
            lines(&taken).await.len(),
            3,
            "no assistant line after the agent took it"
        );

        let figures = get(&app, &ann, "/stats").await;
        let bot = &figures["chat"]["assistant"];
        assert_eq!(bot["conversations"], 4, "{figures}");
        assert_eq!(bot["closed"], 0, "no knowledge base to close any with");
        let handed = |reason: &str| {
            bot["handed_over"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["reason"] == reason)
                .unwrap()["chats"]
                .clone()
        };
        assert_eq!(handed("collected"), 1);
        assert_eq!(handed("asked_for_person"), 1, "{bot}");
        assert_eq!(handed("agent_took"), 1);
        let upset_reason = ["upset", "complaint"]
            .iter()
            .map(|r| handed(r).as_i64().unwrap())
            .sum::<i64>();
        assert_eq!(upset_reason, 1, "{bot}");
    }
}

#[tokio::test]
async fn with_the_assistant_off_no_line_is_written_for_it() {
    for app in TestApp::each().await {
        let visitor = Visitor::start(&app.url, json!({})).await;
        visitor.line("a", "Hi, can I change the delivery day").await;
        assert_eq!(lines(&visitor).await.len(), 1);
    }
}

/// Outside the desk's opening hours (in its own time zone) no one is at work, whoever is signed
/// in, and the widget is told the hours.
#[tokio::test]
async fn outside_the_opening_hours_no_one_is_at_work() {
    for database in TestDatabase::each().await {
        let hours = amends_core::hours::OpeningHours::parse(
            "hours",
            "Mon-Fri 09:00-17:00",
            "Europe/London",
        )
        .unwrap();
        let settings = ServerSettings {
            chat: ChatSettings {
                hours,
                ..ChatSettings::default()
            },
            ..ServerSettings::default()
        };
        let app = TestApp::spawn_with(database, settings).await;
        // The tests' clock starts on a Sunday at 09:00 in London.
        app.add_agent("ann@desk.test", AgentRole::Agent).await;
        app.sign_in("ann@desk.test").await;
        let visitor = Visitor::start(&app.url, json!({})).await;
        let (_, chat) = visitor
            .call(reqwest::Method::GET, "/chat/v1/chat", None)
            .await;
        assert_eq!(
            (chat["open"].as_bool(), chat["agents_at_work"].as_bool()),
            (Some(false), Some(false)),
            "{chat}"
        );
        assert_eq!(chat["hours"], "Mon-Fri 09:00 to 17:00 (Europe/London)");
        app.clock.advance(24 * 3_600_000);
        app.sign_in("ann@desk.test").await;
        let (_, chat) = visitor
            .call(reqwest::Method::GET, "/chat/v1/chat", None)
            .await;
        assert_eq!(
            (chat["open"].as_bool(), chat["agents_at_work"].as_bool()),
            (Some(true), Some(true)),
            "Monday: {chat}"
        );
    }
}

/// An admin sets how many chats an agent holds at once; past it a take is refused, and `null`
/// goes back to the desk's number.
#[tokio::test]
async fn an_agent_holds_as_many_chats_as_set_for_them() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let lee_id = app.add_agent("lee@desk.test", AgentRole::Agent).await;
        let lee = app.sign_in("lee@desk.test").await;
        let set = |capacity: Value| {
            let body = json!({ "chat_capacity": capacity });
            let admin = &admin;
            let app = &app;
            async move {
                let response = admin
                    .client
                    .patch(app.api(&format!("/agents/{lee_id}")))
                    .header("x-csrf-token", &admin.csrf)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap())
            }
        };
        assert_eq!(set(json!(51)).await.0, 422);
        let (status, agent) = set(json!(1)).await;
        assert_eq!(
            (status, agent["chat_capacity"].as_i64()),
            (200, Some(1)),
            "{agent}"
        );
        let mut cases = Vec::new();
        for name in ["one", "two"] {
            let visitor = Visitor::start(&app.url, json!({})).await;
            visitor.line("a", format!("Question {name}")).await;
            cases.push(case_of(&app, &visitor.key).await);
        }
        let empty = json!({});
        let paths: Vec<String> = cases.iter().map(|c| format!("/cases/{c}/accept")).collect();
        let take = |i: usize| lee.post(&app, &paths[i], &empty);
        assert_eq!(take(0).await.status(), 200);
        let refused = take(1).await;
        assert_eq!(refused.status(), 422, "one is Lee's most");
        let (status, agent) = set(Value::Null).await;
        assert_eq!(
            (status, agent["chat_capacity"].is_null()),
            (200, true),
            "{agent}"
        );
        assert_eq!(take(1).await.status(), 200, "the desk's three again");
    }
}

/// A chat's case merged into the same customer's other case takes the chat with it: the
/// visitor's next line lands on the survivor and a reply there reaches the widget; undoing the
/// merge takes the chat back.
#[tokio::test]
async fn a_merged_chat_follows_its_case_and_comes_back_when_undone() {
    for app in TestApp::each().await {
        let admin = app.token_client(AgentRole::Admin).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let mail = app
            .open_case(&agent, "Ann Lee", "ann@example.com", "normal")
            .await;
        let secret = get(&app, &admin, "/chat/identity-secret").await["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let signed = crate::chat::signature(&secret, "u-7", "ann@example.com");
        let identity = json!({"identity": {"id": "u-7", "email": "ann@example.com", "name": "Ann Lee", "signature": signed}});
        let visitor = Visitor::start(&app.url, identity).await;
        visitor.line("a", "About my order again").await;
        let chat_case = case_of(&app, &visitor.key).await;
        let path = format!("/cases/{}/merges", mail["id"]);
        let body = json!({"duplicate_id": chat_case});
        let merge = || post(&app, &agent, &path, body.clone());
        let (status, merged) = merge().await;
        assert_eq!(status, 200, "{merged}");
        assert_eq!(
            case_of(&app, &visitor.key).await,
            mail["id"].as_i64().unwrap(),
            "the chat follows"
        );
        let undo = app.api(&format!("/merges/{}", merged["merge"]["id"]));
        let (status, _) = crate::helpers::call(&agent, reqwest::Method::DELETE, undo, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            case_of(&app, &visitor.key).await,
            chat_case,
            "and comes back"
        );

        let (status, _) = merge().await;
        assert_eq!(status, 200);
        visitor.line("b", "Hello?").await;
        let (status, _) = post(
            &app,
            &agent,
            &format!("/cases/{}/messages", mail["id"]),
            json!({"direction": "outbound", "body": "Here, Ann."}),
        )
        .await;
        assert_eq!(status, 201);
        let said: Vec<String> = lines(&visitor).await.into_iter().map(|l| l.2).collect();
        assert_eq!(said, ["About my order again", "Hello?", "Here, Ann."]);
    }
}

/// A console's live stream says when the queue changes (a case opened by anyone), so the queue
/// needs no poll; on PostgreSQL a console on another server of the desk hears it too.
#[tokio::test]
async fn a_console_hears_the_queue_change_without_polling() {
    for app in TestApp::each().await {
        app.add_agent("lee@desk.test", AgentRole::Agent).await;
        let lee = app.sign_in("lee@desk.test").await;
        let postgres = app.store.backend() == amends_store::Backend::Postgres;
        let watched = if postgres {
            app.another_server().await
        } else {
            app.url.clone()
        };
        let mut stream = lee
            .client
            .get(format!("{watched}/live"))
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), 200);
        let agent = app.token_client(AgentRole::Agent).await;
        // The other server starts listening a moment after it starts: a case opened before
        // then is not announced to it, so open one a second until it hears (five at most).
        let mut seen = String::new();
        let mut heard = false;
        for n in 0..5 {
            let name = format!("Kim {n}");
            app.open_case(&agent, &name, "kim@example.com", "normal")
                .await;
            let waited = tokio::time::timeout(std::time::Duration::from_secs(1), async {
                while let Some(chunk) = stream.chunk().await.unwrap() {
                    seen.push_str(&String::from_utf8_lossy(&chunk));
                    if seen.contains("event: desk") {
                        return true;
                    }
                }
                false
            })
            .await;
            if waited == Ok(true) {
                heard = true;
                break;
            }
        }
        let heard: Result<bool, ()> = Ok(heard);
        assert_eq!(
            heard,
            Ok(true),
            "told within five seconds (postgres: {postgres})"
        );
    }
}
