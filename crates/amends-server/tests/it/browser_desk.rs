//! The shared desk's basics in a real headless Chromium: the search box, a saved view, a
//! canned reply inserted in the composer and coached, the notice that another agent is typing
//! and the question before answering an old message, and a bulk assignment from the queue.
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

    // Exporting what the search found counts the rows as they stream in, then saves them.
    browser.click(&browser.find("a[data-export]").await).await;
    let said = browser
        .wait_for(
            "the export to finish",
            "const s = document.querySelector('p.export [role=status]').textContent; \
             return s.endsWith('.') ? s : null",
        )
        .await;
    assert_eq!(said, "Exported 1 case.");
    let bar = browser
        .run(
            "const p = document.querySelector('p.export progress'); return [p.hidden, p.value, p.max];",
            json!([]),
        )
        .await;
    assert_eq!(bar, json!([false, 1, 1]));

    // Saved as a view, it is listed on the queue with its count.
    browser
        .type_into(&browser.find("#view-name").await, "Leaky kettles")
        .await;
    browser
        .click(&browser.find("form.save-view input[name=shared]").await)
        .await;
    browser.run("window.beforeSaving = true;", json!([])).await;
    browser
        .click(&browser.find("form.save-view button[type=submit]").await)
        .await;
    // Saving reloads the page; wait for that before going elsewhere.
    browser
        .wait_for(
            "the page to reload",
            "return !window.beforeSaving && document.readyState === 'complete'",
        )
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

    // Lee opens the same case and types: Ann's page says so.
    let lee_console = app.sign_in("lee@desk.test").await;
    let typing = lee_console
        .client
        .put(app.api(&format!("/cases/{kettle}/presence")))
        .header("x-csrf-token", &lee_console.csrf)
        .json(&json!({"typing": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(typing.status(), 200);
    let notice = browser
        .wait_for(
            "the collision notice",
            "return document.querySelector('#presence').textContent",
        )
        .await;
    assert_eq!(
        notice.as_str().unwrap(),
        "lee is typing a reply to this case."
    );
    browser.screenshot("collision").await;

    // The customer writes again before Ann sends: sending asks first, then sends.
    let (status, _) = post(
        &app,
        &client,
        &format!("/cases/{kettle}/messages"),
        json!({"direction": "inbound", "body": "Hello? Still leaking."}),
    )
    .await;
    assert_eq!(status, 201);
    browser.run("const r = document.querySelector('#reply'); r.value = 'Kim, I am sorry about the kettle. A new one goes out today.'; r.dispatchEvent(new Event('input'));", json!([])).await;
    // As Ann would, wait for the coaching to read the new draft: its findings move the button.
    browser
        .wait_for(
            "the coaching of the new draft",
            "return document.querySelector('.composer .score').textContent",
        )
        .await;
    browser
        .click(&browser.find("#reply-form button[type=submit]").await)
        .await;
    let asked = browser.wait_for("the question", "const d = document.querySelector('#confirm'); return d.open && document.querySelector('#confirm-text').textContent").await;
    let asked = asked.as_str().unwrap().to_owned();
    if !asked.contains("wrote again") {
        // The coaching asked first (an unfinished reply); go on, then the newer message asks.
        browser
            .click(&browser.find("#confirm button[value=ok]").await)
            .await;
        browser.wait_for("the newer message's question", "const d = document.querySelector('#confirm'); return d.open && document.querySelector('#confirm-text').textContent.includes('wrote again')").await;
    }
    browser
        .click(&browser.find("#confirm button[value=ok]").await)
        .await;
    let mut sent = false;
    for _ in 0..100 {
        let case = get(&app, &client, &format!("/cases/{kettle}")).await;
        if case["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["body"] == "Kim, I am sorry about the kettle. A new one goes out today.")
        {
            sent = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(sent, "sent once Ann said so");

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
