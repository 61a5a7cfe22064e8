//! Incidents in a real browser: a supervisor declares one, chooses the affected by plan and
//! sends the notice from the console; the public status page shows it with scripts off; every
//! page is accessible.

use amends_core::audit::{Actor, AuditContext};
use amends_core::customer::{CustomerName, NewCustomer};
use amends_core::{AgentRole, EmailAddress};
use amends_server::Clock;
use amends_store::testing::TestDatabase;
use amends_store::ImportedCustomer;

use crate::browser::{assert_accessible, set_local_time, sign_in};
use crate::helpers::{TestApp, PASSWORD};
use crate::webdriver::Browser;

async fn customers_on_fibre(app: &TestApp, count: usize) {
    let rows: Vec<ImportedCustomer> = (0..count)
        .map(|i| {
            let name = CustomerName::parse("name", &format!("Fibre customer {i}")).unwrap();
            let mut customer = NewCustomer::named(name);
            customer.plan = Some("Fibre".to_owned());
            let address = format!("fibre{i}@isp.test");
            customer.emails = vec![EmailAddress::parse("email", &address).unwrap()];
            ImportedCustomer {
                line: i + 2,
                customer,
                tags: Vec::new(),
                fields: Vec::new(),
            }
        })
        .collect();
    let context = AuditContext {
        actor: Actor::Shell,
        at: app.clock.now(),
        remote_addr: None,
    };
    app.store
        .import_customers(&rows, &context, amends_core::events::customer_created)
        .await
        .unwrap();
}

/// Marks the page so a wait can tell when a form's save has reloaded it.
async fn mark_page(browser: &Browser) {
    browser
        .run("window.__before_reload = true", serde_json::json!([]))
        .await;
}

async fn wait_for_reload(browser: &Browser, what: &str) {
    browser
        .wait_for(
            what,
            "return !window.__before_reload && document.readyState === 'complete'",
        )
        .await;
}

#[tokio::test]
async fn a_supervisor_declares_an_incident_and_warns_the_affected() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    app.add_agent("chief@desk.test", AgentRole::Supervisor)
        .await;
    customers_on_fibre(&app, 3).await;
    browser
        .goto(&format!("{}/signin?next=/incidents", app.url))
        .await;
    sign_in(&browser, "chief@desk.test", PASSWORD).await;
    browser
        .wait_for(
            "the incidents page",
            "return document.querySelector('#incident-title') !== null",
        )
        .await;
    assert_accessible(&browser, "incidents").await;
    let fill = [
        ("#incident-title", "Fibre outage in the north"),
        ("#incident-summary", "No connection for Fibre customers."),
        ("#incident-doing", "Engineers are repairing a cut cable."),
        ("#incident-words", "internet, connection, outage"),
    ];
    for (field, text) in fill {
        browser.type_into(&browser.find(field).await, text).await;
    }
    let next = app.clock.now().plus_millis(3_600_000).millis();
    set_local_time(&browser, "#incident-next", next).await;
    browser
        .click(
            &browser
                .find("form[data-api='/api/v1/incidents'] button")
                .await,
        )
        .await;
    let link = "[...document.querySelectorAll('table.incidents a')]\
                .find(a => a.textContent === 'Fibre outage in the north')";
    browser
        .wait_for("the incident in the list", &format!("return !!{link}"))
        .await;
    browser
        .run(
            &format!("location.href = {link}.href"),
            serde_json::json!([]),
        )
        .await;
    browser
        .wait_for(
            "the incident's page",
            "return document.querySelector('#segment-plan') !== null",
        )
        .await;
    assert_accessible(&browser, "an incident").await;

    mark_page(&browser).await;
    browser
        .type_into(&browser.find("#segment-plan").await, "Fibre")
        .await;
    browser
        .click(&browser.find("form[data-api$='/customers'] button").await)
        .await;
    wait_for_reload(&browser, "the page after choosing the customers").await;
    mark_page(&browser).await;
    browser
        .click(&browser.find("form[data-api$='/notices'] button").await)
        .await;
    browser
        .wait_for(
            "the confirmation",
            "return document.querySelector('#confirm').open",
        )
        .await;
    browser
        .click(&browser.find("#confirm button[value=ok]").await)
        .await;
    wait_for_reload(&browser, "the page after sending").await;
    let shown = browser
        .run(
            "return document.querySelector('#notice-progress').max",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(shown, 3);
    let incidents = app.store.incidents(app.clock.now()).await.unwrap();
    let counts = app
        .store
        .incident_notice_counts(incidents[0].id)
        .await
        .unwrap();
    assert_eq!(counts, vec![("queued".to_owned(), 3)]);
    browser.goto(&format!("{}/status", app.url)).await;
    assert_accessible(&browser, "the status page").await;
    browser.quit().await;

    let Some(reader) = Browser::start_without_scripts().await else {
        return;
    };
    reader.goto(&format!("{}/status", app.url)).await;
    let text = reader.page_text().await;
    assert!(
        text.contains("Fibre outage in the north") && text.contains("cut cable"),
        "{text}"
    );
    reader.quit().await;
}
