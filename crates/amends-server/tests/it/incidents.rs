//! Incidents through the API and the public pages, on every backend: a supervisor declares one,
//! chooses the affected by plan and by a CSV list (a bad list refused by line, nothing
//! applied), warns them; a matching new case is linked with its reason, one reply reaches every
//! linked case, a late update alerts, the close reaches everyone, the status page shows it, and
//! the follow-up asks each customer whether it is fixed.

use amends_core::job::Job;
use amends_core::AgentRole;
use amends_server::clock::Clock;
use amends_server::links::Purpose;
use amends_store::JobStatus;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{call, complaint, get, post, TestApp};

const HOUR: i64 = 3_600_000;

async fn import(app: &TestApp, client: &reqwest::Client, path: &str, csv: &str) -> (u16, Value) {
    let response = client
        .post(app.api(path))
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn in_hours(app: &TestApp, hours: i64) -> String {
    app.clock.now().plus_millis(hours * HOUR).to_rfc3339()
}

async fn declare(app: &TestApp, chief: &reqwest::Client) -> i64 {
    let mut request = json!({"title": "Card payments failing",
        "summary": "Card payments at checkout fail.",
        "doing": "Our payment provider is restoring service.",
        "next_update_at": in_hours(app, -1), "key_words": "payment, checkout"});
    let (status, refused) = post(app, chief, "/incidents", request.clone()).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["field"], "next_update_at");
    request["next_update_at"] = json!(in_hours(app, 2));
    let (status, declared) = post(app, chief, "/incidents", request).await;
    assert_eq!(status, 201, "{declared}");
    declared["id"].as_i64().unwrap()
}

async fn choose_customers(app: &TestApp, chief: &reqwest::Client, id: i64) {
    let mut csv = String::from("name,email,plan\n");
    for i in 0..8 {
        csv.push_str(&format!("Business {i},business{i}@shop.test,Business\n"));
    }
    csv.push_str("Business unreachable,,Business\n");
    for i in 0..4 {
        csv.push_str(&format!("Starter {i},starter{i}@shop.test,Starter\n"));
    }
    let (status, body) = import(app, chief, "/import/customers", &csv).await;
    assert_eq!(status, 201, "{body}");

    let path = format!("/incidents/{id}/customers");
    let (status, added) = post(app, chief, &path, json!({"plan": "Business"})).await;
    assert_eq!((status, added["added"].as_i64()), (200, Some(9)), "{added}");
    let (status, _) = post(app, chief, &path, json!({})).await;
    assert_eq!(status, 422, "a segment needs a condition");

    // A list naming someone the desk does not know is refused by line, and adds no one.
    let list = format!("{path}/import");
    let bad = "email\nstarter0@shop.test\nnobody@shop.test\nnot an address\n";
    let (status, refused) = import(app, chief, &list, bad).await;
    assert_eq!(status, 422, "{refused}");
    let detail = refused["detail"].as_str().unwrap_or_default().to_owned() + &refused.to_string();
    assert!(
        detail.contains("line 3") && detail.contains("line 4"),
        "{refused}"
    );
    let (status, _) = import(app, chief, &list, "email\n\"starter0@shop.test\n").await;
    assert_eq!(status, 422, "an unclosed quote is refused");
    assert_eq!(
        get(app, chief, &format!("/incidents/{id}")).await["figures"]["affected"],
        9
    );
    let good = "email\nstarter0@shop.test\nSTARTER1@shop.test\n";
    let (status, added) = import(app, chief, &list, good).await;
    assert_eq!(
        (status, added["affected"].as_i64()),
        (200, Some(11)),
        "{added}"
    );
}

async fn write_in(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    subject: &str,
    body: &str,
) -> i64 {
    let request = json!({"customer": {"name": "A customer", "email": email}, "channel": "email",
        "subject": subject, "body": body});
    let (status, case) = post(app, client, "/cases", request).await;
    assert_eq!(status, 201, "{case}");
    case["id"].as_i64().unwrap()
}

async fn queued_notices(app: &TestApp) -> Vec<amends_store::IncidentNotice> {
    let jobs = app.store.jobs(&[JobStatus::Done], 10_000).await.unwrap();
    let mut notices = Vec::new();
    for job in jobs {
        if let Ok(Job::IncidentNotice(send)) = job.work() {
            notices.push(app.store.incident_notice(send.notice_id).await.unwrap());
        }
    }
    notices
}

#[tokio::test]
async fn a_supervisor_warns_the_affected_first_and_keeps_them_updated() {
    for app in TestApp::each().await {
        let chief = app.token_client(AgentRole::Supervisor).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let attempt = json!({"title": "Down", "summary": "Down.", "doing": "Fixing.",
            "next_update_at": in_hours(&app, 1)});
        let (status, _) = post(&app, &agent, "/incidents", attempt).await;
        assert_eq!(status, 403, "agents do not declare");
        let id = declare(&app, &chief).await;
        choose_customers(&app, &chief, id).await;

        let (status, sent) =
            post(&app, &chief, &format!("/incidents/{id}/notices"), json!({})).await;
        assert_eq!((status, sent["queued"].as_i64()), (202, Some(10)), "{sent}");
        app.clock.advance(60_000);
        app.run_due_jobs().await;
        let detail = get(&app, &chief, &format!("/incidents/{id}")).await;
        assert_eq!(detail["notices"]["held"], 10, "{detail}");
        assert_eq!(detail["notices"]["unreachable"], 1);
        assert_eq!(detail["figures"]["warned"], 10);
        assert_eq!(detail["figures"]["minutes_to_first_notice"], 1.0);

        // An affected customer writing about it is linked with the reason; another customer
        // is not, and neither is an affected one writing about something else calmly.
        app.clock.advance(60_000);
        let said = "My payment keeps failing at checkout.";
        let linked = write_in(&app, &agent, "business2@shop.test", "Payment failed", said).await;
        let moved = "I moved house last week; please note my new address.";
        let other = write_in(&app, &agent, "business3@shop.test", "New address", moved).await;
        let (status, cases) = call(
            &agent,
            Method::GET,
            app.api(&format!("/incidents/{id}")),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(cases["linked_cases"][0]["case_id"], linked, "{cases}");
        assert!(cases["linked_cases"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("payment"));
        let stranger = complaint(
            &app,
            &agent,
            "Someone Else",
            "Payment failed",
            "My payment keeps failing at checkout.",
            "normal",
        )
        .await;
        let detail = get(&app, &chief, &format!("/incidents/{id}")).await;
        assert_eq!(
            detail["linked_cases"].as_array().unwrap().len(),
            1,
            "{detail}"
        );
        assert_ne!(detail["linked_cases"][0]["case_id"], other);
        assert_eq!(detail["figures"]["warned_before_they_wrote"], 10);
        assert_eq!(detail["figures"]["wrote_in"], 2);

        // Linked by hand, then one reply reaches both cases.
        let (status, _) = post(
            &app,
            &agent,
            &format!("/incidents/{id}/cases"),
            json!({"case_id": stranger}),
        )
        .await;
        assert_eq!(status, 204);
        let body = "We are sorry: card payments fail for now; we will write when they work.";
        let (status, replied) = post(
            &app,
            &agent,
            &format!("/incidents/{id}/reply"),
            json!({"body": body}),
        )
        .await;
        assert_eq!(status, 201, "{replied}");
        assert_eq!(replied["case_ids"].as_array().unwrap().len(), 2);
        for case in [linked, stranger] {
            let messages = get(&app, &agent, &format!("/cases/{case}")).await;
            assert!(
                messages.to_string().contains("card payments fail for now"),
                "{messages}"
            );
        }

        console_shows_the_wave(&app, id, [linked, stranger]).await;
        late_update_alerts_and_close_reaches_all(&app, &chief, id).await;
    }
}

async fn html(console: &crate::helpers::Console, url: String) -> String {
    let response = console.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The queue folds an incident's cases under its most urgent; the incident's page lists them;
/// a linked case shows the incident and its latest update.
async fn console_shows_the_wave(app: &TestApp, id: i64, cases: [i64; 2]) {
    let admin = app.admin().await;
    let rows = html(&admin, format!("{}/queue/rows", app.url)).await;
    let shown: Vec<bool> = cases
        .iter()
        .map(|case| rows.contains(&format!("data-case-id=\"{case}\"")))
        .collect();
    assert_eq!(shown.iter().filter(|s| **s).count(), 1, "{rows}");
    assert!(rows.contains("and 1 more linked cases"), "{rows}");
    let page = html(&admin, format!("{}/incidents/{id}", app.url)).await;
    assert!(page.contains("Card payments failing") && page.contains("Linked cases"));
    for case in cases {
        assert!(page.contains(&format!("/cases/{case}")), "{page}");
    }
    let case = html(&admin, format!("{}/cases/{}", app.url, cases[0])).await;
    assert!(case.contains("Part of the incident"), "{case}");
    assert!(case.contains("Our payment provider is restoring service."));
}

async fn late_update_alerts_and_close_reaches_all(app: &TestApp, chief: &reqwest::Client, id: i64) {
    // The promised update did not come: whoever declared it hears.
    app.clock.advance(3 * HOUR);
    app.run_due_jobs().await;
    let alerts = get(app, chief, "/notifications").await;
    assert!(
        alerts.to_string().contains("has not been posted"),
        "{alerts}"
    );

    let path = format!("/incidents/{id}/updates");
    let (status, _) = post(app, chief, &path, json!({"body": "Still working on it."})).await;
    assert_eq!(status, 422, "an update promises the next");
    let update =
        json!({"body": "Half of payments work again.", "next_update_at": in_hours(app, 1)});
    let (status, queued) = post(app, chief, &path, update).await;
    assert_eq!(
        (status, queued["queued"].as_i64()),
        (202, Some(10)),
        "{queued}"
    );
    let close = json!({"body": "Card payments work again.", "resolve": true});
    let (status, _) = post(app, chief, &path, close.clone()).await;
    assert_eq!(status, 202);
    let (status, _) = post(app, chief, &path, close).await;
    assert_eq!(status, 409, "a resolved incident takes no update");
    app.run_due_jobs().await;

    let status_page = reqwest::get(format!("{}/status", app.url)).await.unwrap();
    assert_eq!(status_page.status(), 200);
    let text = status_page.text().await.unwrap();
    assert!(
        text.contains("Card payments failing") && text.contains("Fixed recently"),
        "{text}"
    );
    assert!(!text.contains("<script"));

    // A day later each customer is asked whether it is fixed for them; "no" alerts.
    app.clock.advance(25 * HOUR);
    app.run_due_jobs().await;
    app.run_due_jobs().await;
    let asked: Vec<_> = queued_notices(app)
        .await
        .into_iter()
        .filter(|n| n.kind == "follow_up")
        .collect();
    assert_eq!(asked.len(), 10);
    let signed = app.state.customer_link(
        "incident-follow-up",
        asked[0].affected_id,
        Purpose::IncidentFollowUp,
    );
    let token = signed.rsplit('/').next().unwrap();
    let link = format!("{}/incident-follow-up/{token}", app.url);
    let form = reqwest::get(&link).await.unwrap();
    assert_eq!(form.status(), 200);
    assert!(form
        .text()
        .await
        .unwrap()
        .contains("Is it working for you again?"));
    let client = reqwest::Client::new();
    let answer = [("fixed", "no"), ("comment", "Still declined at checkout")];
    let answered = client.post(&link).form(&answer).send().await.unwrap();
    assert_eq!(answered.status(), 200);
    let alerts = get(app, chief, "/notifications").await;
    assert!(
        alerts.to_string().contains("Still declined at checkout"),
        "{alerts}"
    );
    let detail = get(app, chief, &format!("/incidents/{id}")).await;
    assert_eq!(detail["figures"]["not_fixed"], 1);
    let forged = reqwest::get(format!("{link}x")).await.unwrap();
    assert_eq!(forged.status(), 404);

    // What the customer said is theirs: exported with the rest, and gone when erased.
    let address = asked[0].to_address.clone().unwrap();
    let found = app
        .store
        .customers_by_email(std::slice::from_ref(&address))
        .await
        .unwrap();
    let customer = found[&address];
    let export = format!("{:?}", app.store.customer_records(customer).await.unwrap());
    assert!(export.contains("Still declined at checkout"));
    let context = amends_core::audit::AuditContext {
        actor: amends_core::audit::Actor::Shell,
        at: app.clock.now(),
        remote_addr: None,
    };
    app.store.erase_customer(customer, &context).await.unwrap();
    let export = format!("{:?}", app.store.customer_records(customer).await.unwrap());
    assert!(!export.contains("Still declined at checkout"), "{export}");
    assert!(!export.contains(&address), "{export}");
}
