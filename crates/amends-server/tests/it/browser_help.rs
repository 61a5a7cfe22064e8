//! The public help centre in a real browser: accessible, and searched, read and voted on with
//! scripts turned off; and the knowledge base page agents keep it from.

use amends_core::audit::{Actor, AuditContext};
use amends_core::knowledge::{article_event, ArticleDraft, ArticleStatus, Audience, Readers};
use amends_core::AgentRole;
use amends_server::Clock;
use amends_store::testing::TestDatabase;

use crate::browser::{assert_accessible, sign_in};
use crate::helpers::{TestApp, PASSWORD};
use crate::webdriver::Browser;

async fn publish(app: &TestApp, title: &str, body: &str) -> i64 {
    let draft = ArticleDraft::parse(
        title,
        body,
        "Orders",
        &[],
        ArticleStatus::Published,
        Audience::Public,
        None,
    )
    .unwrap();
    let context = AuditContext {
        actor: Actor::Shell,
        at: app.clock.now(),
        remote_addr: None,
    };
    app.store
        .write_article(None, &draft, None, &context, |_| Ok(()), article_event)
        .await
        .unwrap()
        .id
}

/// Waits until the browser is on a page whose address holds `part`: a click that navigates
/// returns before the next page is there, and the page being left must not be read.
async fn arrive_at(browser: &Browser, part: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !browser.url().await.contains(part) {
        assert!(std::time::Instant::now() < deadline, "never reached {part}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reader_finds_an_answer_and_says_so_with_scripts_off() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let id = publish(
        &app,
        "Tracking your parcel",
        "## Where is it?\n\nEvery order ships with a **tracking number**, in your dispatch email.",
    )
    .await;
    publish(
        &app,
        "Changing your address",
        "Edit the address until the order ships.",
    )
    .await;
    for path in [
        "/help",
        "/help/search?q=parcel",
        &format!("/help/articles/{id}"),
    ] {
        browser.goto(&format!("{}{path}", app.url)).await;
        assert_accessible(&browser, path).await;
    }
    browser.quit().await;

    let Some(reader) = Browser::start_without_scripts().await else {
        return;
    };
    reader.goto(&format!("{}/help", app.url)).await;
    reader
        .type_into(&reader.find("#q").await, "where is my parcl")
        .await;
    reader
        .click(&reader.find("form[role=search] button").await)
        .await;
    arrive_at(&reader, "/help/search").await;
    reader.click(&reader.find("main ol li a").await).await;
    arrive_at(&reader, &format!("/help/articles/{id}-")).await;
    let text = reader.page_text().await;
    assert!(
        text.contains("Tracking your parcel") && text.contains("tracking number"),
        "{text}"
    );
    reader
        .click(&reader.find("input[name=helpful][value=no]").await)
        .await;
    reader
        .type_into(&reader.find("#comment").await, "Say when it ships")
        .await;
    reader
        .click(&reader.find("form[method=post] button").await)
        .await;
    arrive_at(&reader, "/feedback").await;
    let thanks = reader.page_text().await;
    assert!(thanks.contains("Thank you"), "{thanks}");
    let article = app.store.article(id).await.unwrap();
    assert_eq!((article.helpful, article.unhelpful), (0, 1));
    let said = app.store.article_feedback(id, 5).await.unwrap();
    assert_eq!(said[0].comment.as_deref(), Some("Say when it ships"));
    reader.quit().await;
}

#[tokio::test]
async fn a_supervisor_writes_and_publishes_an_article_in_the_console() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    app.add_agent("chief@desk.test", AgentRole::Supervisor)
        .await;
    browser
        .goto(&format!("{}/signin?next=/knowledge", app.url))
        .await;
    sign_in(&browser, "chief@desk.test", PASSWORD).await;
    browser
        .wait_for(
            "the knowledge page",
            "return document.querySelector('#title-new') !== null",
        )
        .await;
    assert_accessible(&browser, "knowledge").await;
    browser
        .type_into(&browser.find("#title-new").await, "Gift cards")
        .await;
    browser
        .type_into(
            &browser.find("#body-new").await,
            "Gift cards **never** expire.",
        )
        .await;
    browser
        .run(
            "document.querySelector('#status-new').value = 'published'",
            serde_json::json!([]),
        )
        .await;
    browser
        .click(
            &browser
                .find("form[data-api='/api/v1/articles'] button")
                .await,
        )
        .await;
    browser
        .wait_for(
            "the new article in the list",
            "return [...document.querySelectorAll('table.articles a')].some(a => a.textContent === 'Gift cards')",
        )
        .await;
    let found = app
        .store
        .search_articles("gift", Readers::Public, 5)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    browser
        .goto(&format!("{}/knowledge/{}", app.url, found[0].0.id))
        .await;
    browser.find(".article-preview strong").await;
    assert_accessible(&browser, "an article").await;
    browser.quit().await;
}

#[tokio::test]
async fn the_composer_offers_the_article_that_answers_and_inserts_its_link_with_one_key() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let id = publish(
        &app,
        "Tracking your order",
        "Every order ships with a tracking number, in your dispatch email.",
    )
    .await;
    let client = app.token_client(AgentRole::Agent).await;
    let case = app
        .open_case(&client, "Dana Smith", "dana@example.com", "normal")
        .await;
    browser
        .goto(&format!("{}/signin?next=/cases/{}", app.url, case["id"]))
        .await;
    sign_in(&browser, "admin@desk.test", PASSWORD).await;
    let offered = browser.find(".article-suggestions li a").await;
    assert_eq!(browser.text(&offered).await, "Tracking your order");
    assert_accessible(&browser, "case page with suggestions").await;
    let reply = browser.find("#reply").await;
    browser.type_into(&reply, "Here it is: ").await;
    browser.type_into(&reply, "\u{E00A}1\u{E000}").await;
    let written = browser.value(&reply).await;
    assert!(
        written.contains(&format!(
            "Tracking your order: {}/help/articles/{id}-tracking-your-order",
            app.url
        )) || written.contains(&format!("/help/articles/{id}-tracking-your-order")),
        "{written}"
    );
    browser.quit().await;
}
