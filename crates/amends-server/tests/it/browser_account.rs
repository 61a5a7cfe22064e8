//! Two-factor sign-in in a real headless Chromium: an agent sets it up on the Account page
//! from the key beside the QR code, keeps the recovery codes shown once, signs out, and signs
//! in again with the password and the app's code; axe-core checks each page.

use amends_core::AgentRole;
use amends_server::two_factor::{hotp, secret_from_text, step_at, DIGITS};
use amends_server::Clock;
use amends_store::testing::TestDatabase;
use serde_json::json;

use crate::browser::{assert_accessible, sign_in};
use crate::helpers::{TestApp, PASSWORD};
use crate::webdriver::Browser;

fn code_now(app: &TestApp, secret: &str) -> String {
    let secret = secret_from_text(secret).unwrap();
    let step = u64::try_from(step_at(app.clock.now())).unwrap();
    format!("{:06}", hotp(&secret, step, DIGITS))
}

#[tokio::test]
async fn an_agent_sets_up_two_factor_from_the_qr_code_and_signs_in_with_it() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    app.add_agent("ann@desk.test", AgentRole::Agent).await;
    browser
        .goto(&format!("{}/signin?next=/account", app.url))
        .await;
    sign_in(&browser, "ann@desk.test", PASSWORD).await;
    browser
        .wait_for(
            "the account page",
            "return document.querySelector('#two-factor-title') !== null",
        )
        .await;
    assert_accessible(&browser, "account, two-factor off").await;

    browser
        .click(
            &browser
                .find("form[data-api='/api/v1/account/two-factor'] button")
                .await,
        )
        .await;
    browser
        .wait_for(
            "the QR code",
            "return document.querySelector('figure.qr svg') !== null",
        )
        .await;
    assert_accessible(&browser, "account, setting up").await;
    browser.screenshot("account-two-factor").await;
    let secret = browser.text(&browser.find("[data-secret]").await).await;
    let svg = browser
        .run(
            "return document.querySelector('figure.qr svg').outerHTML",
            json!([]),
        )
        .await;
    assert!(
        svg.as_str().unwrap().contains("aria-label"),
        "the QR code is named"
    );
    browser
        .type_into(
            &browser.find("#confirm-code").await,
            &code_now(&app, &secret),
        )
        .await;
    browser
        .click(
            &browser
                .find("form[data-api='/api/v1/account/two-factor/confirm'] button")
                .await,
        )
        .await;
    let codes = browser
        .wait_for(
            "the recovery codes",
            "const c = document.querySelectorAll('[data-codes] li'); return c.length ? c.length : null",
        )
        .await;
    assert_eq!(codes, json!(10));
    assert_accessible(&browser, "account, recovery codes").await;

    // Signed out and in again: the password, then the app's next code.
    browser.click(&browser.find(".who form button").await).await;
    browser
        .wait_for(
            "the sign-in page",
            "return document.querySelector('#password') !== null",
        )
        .await;
    sign_in(&browser, "ann@desk.test", PASSWORD).await;
    browser
        .wait_for(
            "the code page",
            "return document.querySelector('#code') !== null",
        )
        .await;
    assert_accessible(&browser, "two-factor sign-in").await;
    browser
        .type_into(&browser.find("#code").await, "000000")
        .await;
    browser
        .click(&browser.find(".signin button[type=submit]").await)
        .await;
    browser
        .wait_for(
            "the wrong code said",
            "return document.querySelector('#code-error') !== null",
        )
        .await;
    app.clock.advance(30_000);
    browser
        .run("document.querySelector('#code').value = ''", json!([]))
        .await;
    browser
        .type_into(&browser.find("#code").await, &code_now(&app, &secret))
        .await;
    browser
        .click(&browser.find(".signin button[type=submit]").await)
        .await;
    browser
        .wait_for("the queue", "return location.pathname === '/queue' || null")
        .await;
    browser.goto(&format!("{}/account", app.url)).await;
    let page = browser.page_text().await;
    assert!(page.contains("Password and app code"), "{page}");
    assert!(page.contains("This session"), "{page}");
    assert!(page.contains("10 recovery codes left"), "{page}");
    browser.quit().await;
}

#[tokio::test]
async fn an_admin_sets_the_desk_s_rules_on_the_settings_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    browser
        .goto(&format!("{}/signin?next=/settings", app.url))
        .await;
    sign_in(&browser, "admin@desk.test", PASSWORD).await;
    browser
        .wait_for(
            "the settings page",
            "return document.querySelector('#rule-title') !== null",
        )
        .await;
    assert_accessible(&browser, "settings").await;
    browser
        .run(
            "document.querySelector('#required-for').value = 'supervisors'",
            json!([]),
        )
        .await;
    save_and_wait_for_reload(
        &browser,
        "form[data-api='/api/v1/settings/two-factor'] button",
    )
    .await;
    browser
        .type_into(&browser.find("#months").await, "24")
        .await;
    save_and_wait_for_reload(
        &browser,
        "form[data-api='/api/v1/settings/retention'] button",
    )
    .await;
    // Read from the database: a new admin session would now have to set up its second factor.
    let mut saved = (None, None);
    for _ in 0..50 {
        saved = (
            app.store
                .desk_setting("two_factor_required_for")
                .await
                .unwrap(),
            app.store.desk_setting("retention_months").await.unwrap(),
        );
        if saved == (Some("supervisors".to_owned()), Some("24".to_owned())) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        saved,
        (Some("supervisors".to_owned()), Some("24".to_owned()))
    );
    browser.goto(&format!("{}/settings", app.url)).await;
    assert_eq!(browser.value(&browser.find("#months").await).await, "24");
    browser.quit().await;
}

/// Clicks a settings form's button and waits until the page it reloads has loaded, so the next
/// step does not reach for an element of the page being left.
async fn save_and_wait_for_reload(browser: &Browser, button: &str) {
    browser
        .run("window.amendsMarker = 'before saving'", json!([]))
        .await;
    browser.click(&browser.find(button).await).await;
    browser
        .wait_for(
            "the page to reload after saving",
            "return window.amendsMarker === undefined && document.readyState === 'complete'",
        )
        .await;
}
