//! The console and the customer pages in a real headless Chromium (Debian's, through
//! chromedriver): signing in, the queue and its reasons, a case, live coaching of a reply,
//! scheduling a call-back, the call assistant, the supervisor's view, the customer confirming a
//! summary and answering the survey, and customer text shown as text. axe-core checks each main
//! page; screenshots go to target/screenshots for a reviewer.

use amends_core::AgentRole;
use amends_server::Clock;
use amends_store::testing::TestDatabase;
use serde_json::json;

use crate::desk::{link_token, Agent, Case};
use crate::helpers::{complaint, get, TestApp, PASSWORD};
use crate::webdriver::Browser;

const DAY: i64 = 86_400_000;

pub(crate) async fn sign_in(browser: &Browser, email: &str, password: &str) {
    browser
        .run(
            "document.querySelector('#email').value = ''; document.querySelector('#password').value = ''",
            json!([]),
        )
        .await;
    browser
        .type_into(&browser.find("#email").await, email)
        .await;
    browser
        .type_into(&browser.find("#password").await, password)
        .await;
    browser
        .click(&browser.find(".signin button[type=submit]").await)
        .await;
}

pub(crate) async fn assert_accessible(browser: &Browser, page: &str) {
    let violations = browser.serious_accessibility_violations().await;
    assert!(
        violations.is_empty(),
        "{page}: serious or critical accessibility violations: {violations:#?}"
    );
}

/// Sets a datetime-local field to the instant `millis`, in the browser's own time zone.
pub(crate) async fn set_local_time(browser: &Browser, css: &str, millis: i64) {
    browser
        .run(
            "const d = new Date(arguments[1]); const p = n => String(n).padStart(2, '0');\
             document.querySelector(arguments[0]).value = d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' +\
               p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes());",
            json!([css, millis]),
        )
        .await;
}

/// What the agent's story works on: the desk, the browser, an API client, and its three cases.
#[derive(Clone, Copy)]
struct Scene<'a> {
    app: &'a TestApp,
    browser: &'a Browser,
    client: &'a reqwest::Client,
    calm: i64,
    furious: i64,
    hostile: i64,
}

#[tokio::test]
async fn an_agent_signs_in_works_the_queue_and_answers_an_angry_customer_with_coaching() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    app.add_agent("ann@desk.test", AgentRole::Agent).await;
    let client = app.token_client(AgentRole::Agent).await;
    let calm = complaint(
        &app,
        &client,
        "Ben Calm",
        "Question about my invoice",
        "Hello, could you send me a copy of my invoice?",
        "low",
    )
    .await;
    let furious = complaint(
        &app,
        &client,
        "Dana Furious",
        "Third failed delivery",
        "This is the third time my delivery failed. I am absolutely furious. I'm cancelling my account and switching to your competitor.",
        "high",
    )
    .await;
    let hostile = complaint(
        &app,
        &client,
        "Eve <b>Bold</b>",
        "<script>alert('x')</script> broken",
        "My kettle broke <script>alert('x')</script><img src=x onerror=alert(1)>",
        "normal",
    )
    .await;

    let scene = Scene {
        app: &app,
        browser: &browser,
        client: &client,
        calm,
        furious,
        hostile,
    };
    signs_in(&scene).await;
    the_queue_puts_the_most_urgent_first(&scene).await;
    a_new_case_appears_without_a_reload(&scene).await;
    the_keyboard_opens_a_case(&scene).await;
    the_case_shows_why_it_is_urgent(&scene).await;
    coaching_catches_a_forbidden_promise_before_it_is_sent(&scene).await;
    a_call_back_is_scheduled(&scene).await;
    the_call_assistant_walks_the_steps(&scene).await;
    customer_text_is_text(&scene).await;
    it_fits_a_phone(&scene).await;
    browser.quit().await;
}

/// Signing in: the console sends a stranger to the sign-in page, refuses a wrong password.
async fn signs_in(scene: &Scene<'_>) {
    let Scene { app, browser, .. } = *scene;
    browser.goto(&format!("{}/queue", app.url)).await;
    assert!(
        browser.url().await.contains("/signin?next=%2Fqueue"),
        "{}",
        browser.url().await
    );
    assert_accessible(browser, "sign-in").await;
    sign_in(browser, "ann@desk.test", "not the password").await;
    let error = browser.find("#signin-error").await;
    assert_eq!(browser.text(&error).await, "wrong email or password");
    sign_in(browser, "ann@desk.test", PASSWORD).await;
    browser.find("table.queue").await;
    assert!(
        browser.url().await.ends_with("/queue"),
        "{}",
        browser.url().await
    );
}

/// The queue: most urgent first, in the API's order, each row saying why.
async fn the_queue_puts_the_most_urgent_first(scene: &Scene<'_>) {
    let Scene {
        app,
        browser,
        client,
        calm,
        furious,
        ..
    } = *scene;
    let order: Vec<i64> = browser
        .run("return [...document.querySelectorAll('tr.queue-row')].map(r => Number(r.dataset.caseId))", json!([]))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let api: Vec<i64> = get(app, client, "/queue").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, api);
    assert_eq!(
        order[0], furious,
        "the furious customer who threatens to leave comes first"
    );
    assert_eq!(*order.last().unwrap(), calm);
    let first_reasons = browser
        .text(&browser.find("tr.queue-row .reasons").await)
        .await;
    assert!(
        first_reasons.contains("threatens to leave"),
        "{first_reasons}"
    );
    assert!(first_reasons.contains("high priority"), "{first_reasons}");
    assert_accessible(browser, "queue").await;
    browser.screenshot("queue").await;
}

/// A new case appears without a reload.
async fn a_new_case_appears_without_a_reload(scene: &Scene<'_>) {
    let Scene {
        app,
        browser,
        client,
        ..
    } = *scene;
    browser
        .run("window.amendsMarker = 'still here'", json!([]))
        .await;
    let urgent = complaint(
        app,
        client,
        "Finn Urgent",
        "Charged twice",
        "You charged me twice, please refund one.",
        "urgent",
    )
    .await;
    browser
        .wait_for(
            "the new case to appear in the queue",
            &format!("return !!document.querySelector('tr[data-case-id=\"{urgent}\"]')"),
        )
        .await;
    assert_eq!(
        browser.run("return window.amendsMarker", json!([])).await,
        json!("still here"),
        "no reload"
    );
}

/// Keyboard: j moves down the rows, Enter opens the case.
async fn the_keyboard_opens_a_case(scene: &Scene<'_>) {
    let Scene { browser, .. } = *scene;
    browser
        .run("document.activeElement.blur()", json!([]))
        .await;
    browser.keys("jj").await;
    let focused = browser
        .run(
            "return document.activeElement.closest('tr').dataset.caseId",
            json!([]),
        )
        .await;
    let second = browser
        .run(
            "return document.querySelectorAll('tr.queue-row')[1].dataset.caseId",
            json!([]),
        )
        .await;
    assert_eq!(focused, second);
    browser.keys("\u{E007}").await;
    browser
        .wait_for(
            "the case page",
            &format!(
                "return location.pathname === '/cases/{}'",
                second.as_str().unwrap()
            ),
        )
        .await;
}

/// The furious customer's case: badges, and the words that caused them highlighted.
async fn the_case_shows_why_it_is_urgent(scene: &Scene<'_>) {
    let Scene {
        app,
        browser,
        furious,
        ..
    } = *scene;
    browser.goto(&format!("{}/cases/{furious}", app.url)).await;
    let badges = browser
        .text(&browser.find(".case-head .badges").await)
        .await;
    assert!(
        badges.contains("threatens to leave") && badges.contains("furious"),
        "{badges}"
    );
    let marked = browser
        .run("return [...document.querySelectorAll('[data-message-body] mark.ev')].map(m => m.textContent)", json!([]))
        .await;
    assert!(
        marked.as_array().unwrap().iter().any(|m| m
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("cancel")),
        "the churn words are highlighted: {marked}"
    );
    assert_accessible(browser, "case").await;
}

/// Live coaching: the forbidden promise is underlined in place with its suggestion; sending asks first; the suggestion rewrites it; then it is sent.
async fn coaching_catches_a_forbidden_promise_before_it_is_sent(scene: &Scene<'_>) {
    let Scene {
        app,
        browser,
        client,
        furious,
        ..
    } = *scene;
    let reply = browser.find("#reply").await;
    browser
        .type_into(&reply, "Dana, this will never happen again.")
        .await;
    browser
        .wait_for(
            "the forbidden promise to be underlined",
            "return !!document.querySelector('.backdrop mark.finding-forbidden_promise')",
        )
        .await;
    // The backdrop's text is transparent (only the underline shows), so read its content.
    let underlined = browser
        .run(
            "return document.querySelector('.backdrop mark.finding-forbidden_promise').textContent",
            json!([]),
        )
        .await;
    assert!(
        underlined.as_str().unwrap().contains("never happen again"),
        "{underlined}"
    );
    let finding = browser
        .find("li.finding[data-kind=forbidden_promise]")
        .await;
    assert!(browser.text(&finding).await.contains("Instead"));
    browser.screenshot("case-coaching").await;

    // Sending it as it is asks first; keeping on editing sends nothing.
    browser
        .click(&browser.find("#reply-form button[type=submit]").await)
        .await;
    browser
        .wait_for(
            "the confirmation",
            "return document.querySelector('#confirm').open",
        )
        .await;
    browser.screenshot("case-confirm").await;
    browser
        .click(&browser.find("#confirm button[value=cancel]").await)
        .await;
    let case = get(app, client, &format!("/cases/{furious}")).await;
    assert_eq!(
        case["messages"].as_array().unwrap().len(),
        1,
        "nothing was sent"
    );

    // Applying the suggestion rewrites the promise; then it is sent.
    browser
        .click(
            &browser
                .find("li.finding[data-kind=forbidden_promise] button.apply")
                .await,
        )
        .await;
    let draft = browser.value(&browser.find("#reply").await).await;
    assert!(!draft.contains("never happen again"), "{draft}");
    assert!(draft.starts_with("Dana, "), "{draft}");
    browser
        .wait_for(
            "the promise finding to go",
            "return !document.querySelector('li.finding[data-kind=forbidden_promise]')",
        )
        .await;
    browser
        .click(&browser.find("#reply-form button[type=submit]").await)
        .await;
    // A remaining high-severity finding still asks; the agent sends anyway.
    let asked = browser
        .wait_for(
            "the reply to go, or a question first",
            "return document.querySelector('#confirm').open ? 'asked' : (document.querySelector('.message.outbound') ? 'sent' : '')",
        )
        .await;
    if asked == json!("asked") {
        browser
            .click(&browser.find("#confirm button[value=ok]").await)
            .await;
    }
    browser.find(".message.outbound").await;
    let case = get(app, client, &format!("/cases/{furious}")).await;
    let sent = case["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(sent["direction"], "outbound");
    assert_eq!(sent["body"].as_str().unwrap(), draft);
}

/// Scheduling a call-back two hours from now.
async fn a_call_back_is_scheduled(scene: &Scene<'_>) {
    let Scene {
        app,
        browser,
        client,
        furious,
        ..
    } = *scene;
    let due = app.clock.now().millis() + 2 * 3_600_000;
    set_local_time(browser, "#promise-due", due).await;
    browser
        .click(&browser.find(".new-promise button[type=submit]").await)
        .await;
    browser.find(".promise-open").await;
    let case = get(app, client, &format!("/cases/{furious}")).await;
    let promise = &case["promises"][0];
    assert_eq!(promise["kind"], "call_back");
    let due_at =
        amends_core::Timestamp::parse_rfc3339(promise["due_at"].as_str().unwrap()).unwrap();
    assert!(
        (due_at.millis() - due).abs() < 60_000,
        "due at the minute chosen"
    );
    browser.screenshot("case").await;
}

/// The call assistant walks the steps; a fact noted while listening lands on the case.
async fn the_call_assistant_walks_the_steps(scene: &Scene<'_>) {
    let Scene {
        app,
        browser,
        client,
        furious,
        ..
    } = *scene;
    browser
        .goto(&format!("{}/cases/{furious}/call", app.url))
        .await;
    let visible = browser
        .run("return [...document.querySelectorAll('[data-step]')].filter(s => !s.hidden).map(s => s.id)", json!([]))
        .await;
    assert_eq!(visible, json!(["step-listen"]));
    browser
        .run("document.activeElement.blur()", json!([]))
        .await;
    browser.keys("f").await;
    browser.keys("Parcel 4471 failed three times\u{E007}").await;
    browser
        .wait_for("the fact to be noted", "return [...document.querySelectorAll('[data-noted] li')].some(li => li.textContent.includes('4471'))")
        .await;
    let case = get(app, client, &format!("/cases/{furious}")).await;
    assert_eq!(case["facts"][0]["text"], "Parcel 4471 failed three times");
    assert_accessible(browser, "call assistant").await;
    browser.screenshot("call-listen").await;
    browser
        .click(&browser.find("#step-listen a.next").await)
        .await;
    browser
        .wait_for("the next step", "return !document.querySelector('#step-acknowledge').hidden && document.querySelector('#step-listen').hidden")
        .await;
    let prompts = browser
        .text(&browser.find("#step-acknowledge .prompts").await)
        .await;
    assert!(prompts.contains("I'm so sorry, Dana"), "{prompts}");
}

/// Customer text is text: the hostile case shows its markup literally and runs nothing.
async fn customer_text_is_text(scene: &Scene<'_>) {
    let Scene {
        app,
        browser,
        hostile,
        ..
    } = *scene;
    browser.goto(&format!("{}/cases/{hostile}", app.url)).await;
    let text = browser.page_text().await;
    assert!(
        text.contains("<script>alert('x')</script> broken"),
        "{text}"
    );
    assert!(text.contains("<img src=x onerror=alert(1)>"), "{text}");
    assert!(text.contains("Eve <b>Bold</b>"), "{text}");
    let scripts = browser
        .run(
            "return [...document.scripts].map(s => s.getAttribute('src'))",
            json!([]),
        )
        .await;
    assert_eq!(
        scripts,
        json!(["/assets/console.js"]),
        "only our own script is on the page"
    );
    assert_eq!(
        browser
            .run("return document.querySelectorAll('img').length", json!([]))
            .await,
        json!(0)
    );
}

/// On a phone-sized screen the queue and the case are still usable.
async fn it_fits_a_phone(scene: &Scene<'_>) {
    let Scene {
        app,
        browser,
        furious,
        ..
    } = *scene;
    browser.resize(390, 844).await;
    browser.goto(&format!("{}/queue", app.url)).await;
    browser.find("tr.queue-row").await;
    let overflow = browser
        .run(
            "return document.documentElement.scrollWidth > window.innerWidth + 1",
            json!([]),
        )
        .await;
    assert_eq!(overflow, json!(false), "no sideways scrolling on a phone");
    browser.screenshot("queue-phone").await;
    browser.goto(&format!("{}/cases/{furious}", app.url)).await;
    browser.find("#reply").await;
    let overflow = browser
        .run(
            "return document.documentElement.scrollWidth > window.innerWidth + 1",
            json!([]),
        )
        .await;
    assert_eq!(overflow, json!(false), "the case page fits a phone too");
    browser.screenshot("case-phone").await;
}

#[tokio::test]
async fn a_supervisor_sees_approvals_and_charts_and_a_customer_confirms_a_summary_and_answers_the_survey(
) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    app.add_agent("sue@desk.test", AgentRole::Supervisor).await;
    let agent = app.agent(AgentRole::Agent).await;
    let gia = agent
        .open(
            json!({"customer": {"name": "Gia Wronged", "email": "gia@example.com"},
                     "channel": "email", "subject": "Damaged sofa",
                     "body": "The sofa arrived torn. I want a refund.", "priority": "normal"}),
        )
        .await;
    let gia = Case::of(&gia);
    let grant = json!({"kind": "refund", "amount_minor": 9_000, "reason": "torn sofa"});
    agent.compensate(&gia, grant).await.expect(201);
    let summary = "Gia, your sofa arrived torn on Monday. We will collect it on Friday.";
    agent.send_summary(&gia, summary).await.expect(201);

    the_supervisor_approves_beside_the_charts(&browser, &agent, &gia).await;
    the_customer_confirms_the_summary(&app, &browser, &agent, &gia).await;
    agent
        .change(&gia, json!({"status": "resolved"}))
        .await
        .expect(200);
    app.later(3 * DAY).await;
    the_customer_answers_the_survey(&browser, &agent, &gia).await;
    browser.quit().await;
}

/// The supervisor's view: the approval waits, the charts are drawn, one click grants it.
async fn the_supervisor_approves_beside_the_charts(
    browser: &Browser,
    agent: &Agent<'_>,
    gia: &Case,
) {
    browser.goto(&format!("{}/supervisor", agent.url())).await;
    sign_in(browser, "sue@desk.test", PASSWORD).await;
    let approvals = browser
        .text(&browser.find("[aria-labelledby=approvals-title]").await)
        .await;
    assert!(
        approvals.contains("torn sofa") && approvals.contains("90.00"),
        "{approvals}"
    );
    assert_eq!(browser.find_all("figure.chart svg").await.len(), 6);
    assert_accessible(browser, "supervisor").await;
    browser.screenshot("supervisor").await;
    browser
        .click(
            &browser
                .find("[aria-labelledby=approvals-title] button[value=true]")
                .await,
        )
        .await;
    browser.wait_for("the approval to go", "return document.querySelector('[aria-labelledby=approvals-title] h2').textContent.includes('(0)')").await;
    let granted = agent.get(&format!("/cases/{}/compensation", gia.id)).await;
    assert_eq!(granted[0]["state"], "granted");
}

/// The page a customer's `page` link (`summary`, `survey`) in the case's notices leads to.
async fn customer_page(agent: &Agent<'_>, case: &Case, page: &str) -> String {
    let notices = agent.notices(case).await;
    let notice = notices
        .iter()
        .find(|n| n["body"].as_str().unwrap().contains(&format!("/{page}/")))
        .unwrap_or_else(|| panic!("no {page} link in {notices:?}"));
    format!("{}/{page}/{}", agent.url(), link_token(notice, page))
}

async fn thanked(browser: &Browser) {
    browser
        .wait_for(
            "the thanks",
            "return document.body.textContent.toLowerCase().includes('thank')",
        )
        .await;
}

/// The customer's summary page: "this is right".
async fn the_customer_confirms_the_summary(
    app: &TestApp,
    browser: &Browser,
    agent: &Agent<'_>,
    gia: &Case,
) {
    browser
        .goto(&customer_page(agent, gia, "summary").await)
        .await;
    assert!(browser
        .page_text()
        .await
        .contains("We will collect it on Friday"));
    assert_accessible(browser, "customer summary").await;
    browser.screenshot("customer-summary").await;
    browser
        .click(&browser.find("button[value=yes]").await)
        .await;
    thanked(browser).await;
    let summary = app.store.latest_summary(gia.id).await.unwrap().unwrap();
    assert_eq!(summary.answer.as_deref(), Some("confirmed"));
}

/// Resolved, the follow-up sent the survey; the customer answers it.
async fn the_customer_answers_the_survey(browser: &Browser, agent: &Agent<'_>, gia: &Case) {
    browser
        .goto(&customer_page(agent, gia, "survey").await)
        .await;
    assert_accessible(browser, "customer survey").await;
    browser.screenshot("customer-survey").await;
    browser
        .click(&browser.find("input[name=score][value='5']").await)
        .await;
    browser
        .click(&browser.find("input[name=solved][value=yes]").await)
        .await;
    browser
        .click(&browser.find("form button[type=submit]").await)
        .await;
    thanked(browser).await;
    assert_eq!(agent.case(gia).await["csat"], 5);
}
