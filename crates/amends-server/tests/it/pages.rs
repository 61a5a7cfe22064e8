//! The customer's pages behind signed links, as a browser without script would use them:
//! plain forms, escaped text, a strict Content-Security-Policy, kind words for a dead link.

use amends_core::AgentRole;
use serde_json::{json, Value};

use crate::helpers::{get, TestApp};

const DAY: i64 = 86_400_000;

fn token_in(notices: &Value, page: &str) -> String {
    let body = notices[0]["body"].as_str().unwrap();
    let link = body
        .split_whitespace()
        .find(|w| w.contains(&format!("/{page}/")))
        .unwrap();
    link.rsplit('/').next().unwrap().to_owned()
}

async fn page(url: String) -> (u16, String, String) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, csp, response.text().await.unwrap())
}

async fn submit(url: String, form: &[(&str, &str)]) -> (u16, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.post(url).form(form).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_survey_page_escapes_the_case_and_a_low_score_reopens_it() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let opened: Value = agent
            .post(app.api("/cases"))
            .json(
                &json!({"customer": {"name": "Mo", "email": "mo@example.com"},
                          "channel": "web_form", "subject": "<script>alert(1)</script> lost",
                          "body": "Where is my parcel?"}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = opened["id"].as_i64().unwrap();
        agent
            .patch(app.api(&format!("/cases/{id}")))
            .json(&json!({"status": "resolved"}))
            .send()
            .await
            .unwrap();
        app.clock.advance(3 * DAY);
        app.run_due_jobs().await;
        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        let token = token_in(&notices, "survey");

        let (status, csp, html) = page(format!("{}/survey/{token}", app.url)).await;
        assert_eq!(status, 200);
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script-src"),
            "{csp}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt; lost"),
            "{html}"
        );
        assert!(
            !html.contains("<script>"),
            "customer-visible text is escaped"
        );

        let (status, html) = submit(
            format!("{}/survey/{token}", app.url),
            &[
                ("score", "1"),
                ("solved", "no"),
                ("comment", "still waiting"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("back with our team"));
        let case = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(case["status"], "reopened");
        assert_eq!(case["csat"], 1);
        let (_, _, html) = page(format!("{}/survey/{token}", app.url)).await;
        assert!(html.contains("already answered"));

        let (status, _, html) = page(format!("{}/survey/{token}x", app.url)).await;
        assert_eq!(status, 404);
        assert!(html.contains("This link does not work"));
    }
}

#[tokio::test]
async fn the_plan_page_takes_a_rejection_then_the_refund_choice_and_the_summary_page_a_confirmation(
) {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Ned", "ned@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        let due = amends_core::Timestamp(crate::helpers::START.millis() + DAY).to_rfc3339();
        let response = agent
            .put(app.api(&format!("/cases/{id}/plan")))
            .json(&json!({"steps": [{"description": "Send a <b>new</b> kettle", "due_at": due}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        let token = token_in(&notices, "plan");
        let url = format!("{}/plan/{token}", app.url);
        let (status, _, html) = page(url.clone()).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Send a &lt;b&gt;new&lt;/b&gt; kettle"),
            "{html}"
        );
        assert!(html.contains("Does this plan work for you?"));

        let (status, _) = submit(url.clone(), &[("answer", "rejected")]).await;
        assert_eq!(status, 303);
        let (_, _, html) = page(url.clone()).await;
        assert!(html.contains("refund you in full"), "{html}");
        let (status, html) = submit(url.clone(), &[("answer", "full_refund")]).await;
        assert_eq!(status, 200);
        assert!(html.contains("refund you in full"));
        let (status, _) = submit(url.clone(), &[("answer", "accepted")]).await;
        assert_eq!(status, 422, "answered once");

        let sent = agent
            .post(app.api(&format!("/cases/{id}/summary")))
            .json(&json!({"body": "Dear Ned,\nWe agreed a full refund."}))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 201);
        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        let token = token_in(&notices, "summary");
        let url = format!("{}/summary/{token}", app.url);
        let (_, _, html) = page(url.clone()).await;
        assert!(html.contains("We agreed a full refund."));
        let (status, html) = submit(url.clone(), &[("confirmed", "yes"), ("comment", "")]).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Thank you for confirming"));
        let (_, _, html) = page(url).await;
        assert!(html.contains("already answered"));
        let (status, _, _) = page(format!(
            "{}/summary/{}",
            app.url,
            token_in(&notices, "summary").replacen(".summary.", ".plan.", 1)
        ))
        .await;
        assert_eq!(
            status, 404,
            "a summary link bent into a plan link opens nothing"
        );
    }
}
