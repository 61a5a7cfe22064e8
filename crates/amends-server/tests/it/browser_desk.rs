//! The shared desk's basics in a real headless Chromium: the search box, a saved view, a
//! canned reply inserted in the composer and coached, and a bulk assignment from the queue.
//! axe-core checks the search page and the queue with its new controls.

use amends_core::AgentRole;
use amends_store::testing::TestDatabase;
use serde_json::json;

use crate::browser::{assert_accessible, sign_in};
use crate::helpers::{complaint, get, post, TestApp, PASSWORD};
use crate::webdriver::Browser;

#[tokio::test]
async fn an_agent_searches_saves_a_view_inserts_a_canned_reply_and_assigns_in_bulk() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    app.add_agent("ann@desk.test", AgentRole::Agent).await;
    let lee = app.add_agent("lee@desk.test", AgentRole::Agent).await;
    let client = app.token_client(AgentRole::Supervisor).await;
    let kettle = complaint(
        &app,
        &client,
        "Kim Kettle",
        "Broken kettle",
        "The kettle you sold me leaks everywhere.",
        "normal",
    )
    .await;
    let late = complaint(
        &app,
        &client,
        "Lu Late",
        "Late parcel",
        "My parcel is a week late.",
        "normal",
    )
    .await;
    let body = "Hi {{customer.first_name}}, I'm so sorry. It won't happen again. {{agent.name}}";
    let (status, canned) = post(
        &app,
        &client,
        "/canned-replies",
        json!({"name": "Apology", "body": body}),
    )
    .await;
    assert_eq!(status, 201, "{canned}");

    browser.goto(&format!("{}/signin", app.url)).await;
    sign_in(&browser, "ann@desk.test", PASSWORD).await;
    browser.find("table.queue").await;

    // The search box in the header finds the kettle by a word of its message.
    browser
        .type_into(&browser.find("#header-search").await, "leaks")
        .await;
    browser.keys("\u{E007}").await;
    let mark = browser.find("ol.found-cases p.snippet mark").await;
    assert_eq!(browser.text(&mark).await, "leaks");
    let link = browser.find("ol.found-cases li a").await;
    assert!(browser
        .text(&link)
        .await
        .contains(&format!("#{kettle} Broken kettle")));
    assert_accessible(&browser, "search").await;
    browser.screenshot("search").await;

    // Saved as a view, it is listed on the queue with its count.
    browser
        .type_into(&browser.find("#view-name").await, "Leaky kettles")
        .await;
    browser
        .click(&browser.find("form.save-view input[name=shared]").await)
        .await;
    browser
        .click(&browser.find("form.save-view button[type=submit]").await)
        .await;
    let mut saved = false;
    for _ in 0..100 {
        let views = get(&app, &client, "/views").await;
        if views
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == "Leaky kettles")
        {
            saved = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(saved, "the view was saved");
    browser.goto(&format!("{}/queue", app.url)).await;
    let view = browser.wait_for("the saved view", "const a = [...document.querySelectorAll('nav.views a')].find(a => a.textContent === 'Leaky kettles'); return a ? a.parentElement.textContent : ''").await;
    assert!(view.as_str().unwrap().contains('1'), "{view}");

    // A canned reply goes into the composer with the customer's name, and is coached.
    browser.goto(&format!("{}/cases/{kettle}", app.url)).await;
    browser
        .run(
            "const s = document.querySelector('#canned'); s.value = s.options[1].value;",
            json!([]),
        )
        .await;
    browser.click(&browser.find("#canned-insert").await).await;
    let text = browser
        .wait_for(
            "the canned reply in the composer",
            "return document.querySelector('#reply').value",
        )
        .await;
    assert_eq!(
        text.as_str().unwrap(),
        "Hi Kim, I'm so sorry. It won't happen again. ann"
    );
    browser
        .wait_for(
            "the coaching of the canned reply",
            "return !!document.querySelector('li.finding[data-kind=forbidden_promise]')",
        )
        .await;
    browser.screenshot("canned-reply").await;

    // Both cases are given to Lee from the queue at once.
    browser.goto(&format!("{}/queue", app.url)).await;
    for id in [kettle, late] {
        browser
            .click(
                &browser
                    .find(&format!("input[data-many][value='{id}']"))
                    .await,
            )
            .await;
    }
    browser
        .run(
            "document.querySelector('#bulk-owner').value = arguments[0];",
            json!([lee.to_string()]),
        )
        .await;
    assert_accessible(&browser, "queue with bulk controls").await;
    browser
        .click(&browser.find("#bulk button[type=submit]").await)
        .await;
    browser.wait_for("both cases to be Lee's", &format!(
        "return [...document.querySelectorAll('tr.queue-row')].filter(r => ['{kettle}', '{late}'].includes(r.dataset.caseId) && r.textContent.includes('lee')).length === 2"
    )).await;
    for id in [kettle, late] {
        let case = get(&app, &client, &format!("/cases/{id}")).await;
        assert_eq!(case["owner_id"].as_i64(), Some(lee));
    }
    browser.screenshot("queue-bulk").await;
    browser.quit().await;
}
