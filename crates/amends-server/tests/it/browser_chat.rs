//! The chat in a real headless Chromium: a shop's page on another origin holding the widget, and
//! the agent's console in a window beside it. The customer writes, the agent sees it live and
//! answers (after taking the chat from the chats page), each sees the other typing, a reload
//! brings the conversation back, and a furious customer's chat tops the queue as it arrives with
//! a supervisor told; axe-core checks the widget on the host page and the chats page.

use amends_core::AgentRole;
use amends_store::testing::TestDatabase;
use axum::response::Html;
use serde_json::json;

use crate::browser::{assert_accessible, sign_in};
use crate::helpers::{TestApp, PASSWORD};
use crate::webdriver::Browser;

/// Serves a shop's page holding the widget of the desk at `desk`, as a business's site would;
/// answers the page's address (another origin than the desk's).
async fn shop_page(desk: &str) -> String {
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kettle shop</title>\
         </head><body><main><h1>Kettle shop</h1><p>Kettles that do not leak.</p></main>\
         <script src=\"{desk}/widget.js\" async></script></body></html>"
    );
    let router =
        axum::Router::new().route("/", axum::routing::get(move || async move { Html(page) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

async fn text_of(browser: &Browser, css: &str) -> String {
    let element = browser.find(css).await;
    browser.text(&element).await
}

/// The visitor writes `text` in the open widget and waits for the desk to have it as line 1.
async fn first_line(browser: &Browser, text: &str) {
    browser
        .type_into(&browser.find("#amends-chat-text").await, text)
        .await;
    browser
        .click(&browser.find(".amends-chat-form button[type=submit]").await)
        .await;
    browser.find(".amends-chat-customer[data-seq='1']").await;
}

/// The case of the chat this browser keeps the key of.
async fn chat_case(browser: &Browser, app: &TestApp) -> i64 {
    let key = browser
        .run(
            "return localStorage.getItem(Object.keys(localStorage)[0])",
            json!([]),
        )
        .await;
    let chat = app
        .store
        .chat_by_key(&amends_server::accounts::digest(key.as_str().unwrap()))
        .await
        .unwrap();
    chat.case_id.unwrap()
}

#[tokio::test]
async fn a_customer_on_a_shop_page_and_an_agent_in_the_console_talk_live() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    app.add_agent("ann@desk.test", AgentRole::Agent).await;
    let shop = shop_page(&app.url).await;

    // The agent signs in (and so is at work); the queue waits in their window.
    let console = browser.window().await;
    browser.goto(&format!("{}/signin", app.url)).await;
    sign_in(&browser, "ann@desk.test", PASSWORD).await;
    browser.find("table.queue").await;

    // The customer opens the chat on the shop's page and writes.
    let customer = browser.new_window().await;
    browser.switch_to(&customer).await;
    browser.goto(&shop).await;
    browser
        .click(&browser.find("button.amends-chat-launcher").await)
        .await;
    browser
        .wait_for(
            "the promise of an answer time",
            "return document.querySelector('.amends-chat-status').textContent.includes('within 5 minutes')",
        )
        .await;
    first_line(&browser, "Where is my kettle? It is two weeks late.").await;
    assert_accessible(&browser, "the chat widget on a shop's page").await;
    browser.screenshot("chat-widget").await;
    let case_id = chat_case(&browser, &app).await;

    // The queue shows the chat at once; its case page follows the chat live.
    browser.switch_to(&console).await;
    browser.find(&format!("tr[data-case-id='{case_id}']")).await;
    // The chats page lists it as waiting; the agent takes it and lands on its case page.
    browser.goto(&format!("{}/chats", app.url)).await;
    let take = browser
        .find(&format!(
            "form[data-api='/api/v1/cases/{case_id}/accept'] button"
        ))
        .await;
    assert_accessible(&browser, "the chats page").await;
    browser.click(&take).await;
    browser.find("#timeline[data-live-chat]").await;
    browser.find("form.pass-on").await;
    let taken = app.store.case(case_id).await.unwrap();
    assert!(taken.owner_id.is_some(), "taking the chat made it Ann's");
    browser.switch_to(&customer).await;
    browser
        .type_into(&browser.find("#amends-chat-text").await, "Hello?")
        .await;
    browser.switch_to(&console).await;
    browser
        .wait_for(
            "the customer typing",
            "return document.querySelector('#customer-typing').textContent",
        )
        .await;
    browser.switch_to(&customer).await;
    browser
        .click(&browser.find(".amends-chat-form button[type=submit]").await)
        .await;
    browser.switch_to(&console).await;
    browser
        .wait_for(
            "the customer's second line",
            "return document.querySelector('#timeline').textContent.includes('Hello?')",
        )
        .await;

    // The agent answers from the case page; the customer sees the answer and who wrote it.
    let reply = "I'm sorry your kettle is late, Kim. I'm checking with the courier now and will write here by 10:30.";
    browser
        .type_into(&browser.find("#reply").await, reply)
        .await;
    // The customer sees someone typing (the case page says so on its next presence beat).
    browser.switch_to(&customer).await;
    browser
        .wait_for(
            "the agent typing, in the widget",
            "return document.querySelector('.amends-chat-typing').textContent",
        )
        .await;
    browser.switch_to(&console).await;
    browser
        .click(&browser.find("#reply-form button[type=submit]").await)
        .await;
    browser.switch_to(&customer).await;
    let answer = text_of(&browser, ".amends-chat-agent[data-seq='3']").await;
    assert!(
        answer.starts_with("ann: I'm sorry your kettle is late"),
        "{answer}"
    );

    // A reload brings the whole conversation back, once.
    browser.goto(&shop).await;
    browser.find(".amends-chat-agent[data-seq='3']").await;
    let lines = browser.find_all(".amends-chat-line").await.len();
    assert_eq!(lines, 3, "three lines after a reload, none twice");
    browser.screenshot("chat-widget-reloaded").await;

    // Another customer, furious: their chat tops Ann's queue as it arrives, and a supervisor
    // is told.
    browser.run("localStorage.clear();", json!([])).await;
    browser.goto(&shop).await;
    browser
        .click(&browser.find("button.amends-chat-launcher").await)
        .await;
    first_line(
        &browser,
        "This is DISGRACEFUL. Third time you have lost my order, you useless lot. I am furious!",
    )
    .await;
    let furious = chat_case(&browser, &app).await;
    assert_ne!(furious, case_id, "a new chat");
    browser.switch_to(&console).await;
    browser.goto(&format!("{}/queue", app.url)).await;
    let top = browser
        .wait_for(
            "the furious chat on top of the queue",
            "const row = document.querySelector('tr.queue-row'); return row && row.dataset.caseId + ' ' + row.textContent",
        )
        .await;
    let top = top.as_str().unwrap();
    assert!(top.starts_with(&format!("{furious} ")), "{top}");
    assert!(top.contains("furious"), "{top}");
    let told = app.store.case(furious).await.unwrap();
    assert!(
        told.anger_permille >= amends_core::queue::FURIOUS_PERMILLE,
        "{told:?}"
    );
    let alerts = app.admin().await.get(&app, "/notifications").await;
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "furious" && n["case_id"] == furious),
        "{alerts}"
    );
    browser.screenshot("chat-furious-on-top").await;
    browser.quit().await;
}

/// No one at work: the widget asks for an address, and the agent's later answer goes by mail to
/// it, in the same case.
#[tokio::test]
async fn with_no_one_at_work_the_widget_takes_an_address_and_the_answer_goes_by_mail() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let shop = shop_page(&app.url).await;
    browser.goto(&shop).await;
    browser
        .click(&browser.find("button.amends-chat-launcher").await)
        .await;
    browser
        .wait_for(
            "the offer to answer by mail",
            "const away = document.querySelector('.amends-chat-away'); \
             return !away.hidden && away.textContent.includes('No one is available')",
        )
        .await;
    first_line(&browser, "My order never came.").await;
    assert_accessible(&browser, "the widget asking for an address").await;
    browser
        .type_into(&browser.find("#amends-chat-email").await, "kim@example.com")
        .await;
    browser
        .click(&browser.find(".amends-chat-away button[type=submit]").await)
        .await;
    browser
        .wait_for(
            "the promise of an answer by mail",
            "return document.querySelector('.amends-chat-status').textContent === 'We will answer by email.'",
        )
        .await;
    browser.screenshot("chat-widget-by-email").await;

    let case_id = chat_case(&browser, &app).await;
    let agent = app.token_client(AgentRole::Agent).await;
    let (status, reply) = crate::helpers::post(
        &app,
        &agent,
        &format!("/cases/{case_id}/messages"),
        json!({"direction": "outbound", "body": "Sorry, Kim: a new one goes out today."}),
    )
    .await;
    assert_eq!(
        (status, reply["channel"].as_str()),
        (201, Some("email")),
        "{reply}"
    );
    let notices = crate::helpers::get(&app, &agent, &format!("/notices?case_id={case_id}")).await;
    assert_eq!(notices[0]["kind"], "reply", "{notices}");
    browser.quit().await;
}
