//! The recovery workflow through the API, on each backend, with the clock moved by the test:
//! promises kept, extended and broken; follow-up surveys by signed link; compensation and its
//! approval; churn threats and win-back; the abuse policy; facts; the figures.

use amends_core::AgentRole;
use amends_server::Clock;
use serde_json::{json, Value};

use crate::helpers::{call, get, post, TestApp};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn at(app: &TestApp, offset: i64) -> String {
    app.clock.now().plus_millis(offset).to_rfc3339()
}

/// A refusal: the status, and the field named when there is one to name.
fn refused(status: u16, problem: &Value, expected: u16, field: &str) {
    assert_eq!(status, expected, "{problem}");
    assert!(
        !problem["detail"].as_str().unwrap_or("").is_empty(),
        "{problem}"
    );
    if !field.is_empty() {
        assert_eq!(problem["field"], field, "{problem}");
    }
}

fn kinds(notifications: &Value) -> Vec<String> {
    notifications
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_promise_not_kept_breaks_and_the_supervisor_is_told() {
    for app in TestApp::each().await {
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Ann", "ann@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();

        // "Soon" is not a time: a promise without one is refused and nothing is written.
        let (status, problem) = post(
            &app,
            &agent,
            &format!("/cases/{id}/promises"),
            json!({"kind": "call_back", "description": "call Ann back soon"}),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(problem["field"], "due_at", "{problem}");
        assert!(get(&app, &agent, &format!("/cases/{id}")).await["promises"]
            .as_array()
            .unwrap()
            .is_empty());

        let (status, promise) = post(
            &app,
            &agent,
            &format!("/cases/{id}/promises"),
            json!({"kind": "call_back", "description": "call Ann back with the courier's answer",
                   "due_at": at(&app, 2 * HOUR)}),
        )
        .await;
        assert_eq!(status, 201, "{promise}");
        let promise_id = promise["id"].as_i64().unwrap();
        assert_eq!(promise["state"], "open");

        // Thirty minutes ahead the owner is reminded, and the case says a promise is due.
        app.clock.advance(HOUR + 31 * MINUTE);
        app.run_due_jobs().await;
        assert_eq!(
            kinds(&get(&app, &agent, "/notifications").await),
            ["promise_due_soon"]
        );
        let queue = get(&app, &agent, "/queue").await;
        let reasons = queue["items"][0]["reasons"].as_array().unwrap();
        assert!(
            reasons
                .iter()
                .any(|r| r.as_str().unwrap().starts_with("promise due in")),
            "{reasons:?}"
        );

        // The due time passes: the promise breaks, once, and the supervisor hears of it.
        app.clock.advance(30 * MINUTE);
        app.run_due_jobs().await;
        app.run_due_jobs().await;
        let case = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(case["promises"][0]["state"], "broken");
        assert_eq!(case["broken_promises"], 1);
        assert_eq!(
            kinds(&get(&app, &supervisor, "/notifications").await),
            ["promise_broken"]
        );
        let queue = get(&app, &agent, "/queue").await;
        assert!(queue["items"][0]["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("broken promise")));

        // Too late to keep it or to extend it.
        let (status, problem) = post(
            &app,
            &agent,
            &format!("/promises/{promise_id}/keep"),
            json!({}),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        let (status, _) = post(
            &app,
            &agent,
            &format!("/promises/{promise_id}/extend"),
            json!({"due_at": at(&app, DAY), "reason": "sorry"}),
        )
        .await;
        assert_eq!(status, 422);

        let stats = get(&app, &agent, "/stats").await;
        assert_eq!(stats["promises"]["broken"], 1, "{stats}");
        assert_eq!(stats["promises"]["kept"], 0);
    }
}

#[tokio::test]
async fn an_extension_before_the_due_time_moves_the_deadline_and_tells_the_customer() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Bo", "bo@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        let (_, promise) = post(
            &app,
            &agent,
            &format!("/cases/{id}/promises"),
            json!({"kind": "refund", "description": "refund the delivery charge",
                   "due_at": at(&app, 2 * HOUR)}),
        )
        .await;
        let promise_id = promise["id"].as_i64().unwrap();

        app.clock.advance(HOUR);
        let (status, extended) = post(
            &app,
            &agent,
            &format!("/promises/{promise_id}/extend"),
            json!({"due_at": at(&app, 4 * HOUR), "reason": "the bank needs one more day"}),
        )
        .await;
        assert_eq!(status, 200, "{extended}");
        assert_eq!(extended["state"], "extended");
        assert_eq!(extended["extensions"], 1);
        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        assert_eq!(notices[0]["kind"], "promise_extended");
        assert_eq!(notices[0]["to_address"], "bo@example.com");
        assert_eq!(notices[0]["status"], "queued");
        assert!(notices[0]["body"]
            .as_str()
            .unwrap()
            .contains("the bank needs one more day"));

        // The old deadline passes and nothing breaks; the promise is kept before the new one.
        app.clock.advance(HOUR + MINUTE);
        app.run_due_jobs().await;
        let case = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(case["promises"][0]["state"], "extended");
        let (status, kept) = post(
            &app,
            &agent,
            &format!("/promises/{promise_id}/keep"),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{kept}");
        assert_eq!(kept["state"], "kept");
        app.clock.advance(4 * HOUR);
        app.run_due_jobs().await;
        let case = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(case["promises"][0]["state"], "kept", "kept stays kept");
        assert_eq!(case["broken_promises"], 0);
        let stats = get(&app, &agent, "/stats").await;
        assert_eq!(stats["promises"]["kept"], 1);
        assert_eq!(stats["promises"]["extended"], 1);
        assert_eq!(stats["promises"]["kept_rate"], 1.0);
    }
}

#[tokio::test]
async fn a_follow_up_asks_by_signed_link_and_a_low_score_reopens_to_the_top() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app.open_case(&agent, "Cy", "cy@example.com", "low").await;
        let id = case["id"].as_i64().unwrap();
        let other = app
            .open_case(&agent, "Di", "di@example.com", "urgent")
            .await;
        let other_id = other["id"].as_i64().unwrap();
        let (status, resolved) = call(
            &agent,
            reqwest::Method::PATCH,
            app.api(&format!("/cases/{id}")),
            Some(json!({"status": "open", "follow_up_gesture": "a voucher"})),
        )
        .await;
        refused(status, &resolved, 422, "follow_up_gesture");
        let (status, resolved) = call(
            &agent,
            reqwest::Method::PATCH,
            app.api(&format!("/cases/{id}")),
            Some(json!({"status": "resolved",
                        "follow_up_gesture": "a 10% voucher is on your account"})),
        )
        .await;
        assert_eq!(status, 200, "{resolved}");

        app.clock.advance(3 * DAY - MINUTE);
        app.run_due_jobs().await;
        assert!(
            get(&app, &agent, &format!("/notices?case_id={id}"))
                .await
                .as_array()
                .unwrap()
                .is_empty(),
            "not yet"
        );
        app.clock.advance(MINUTE);
        app.run_due_jobs().await;
        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        assert_eq!(notices.as_array().unwrap().len(), 1, "asked once");
        assert_eq!(notices[0]["kind"], "follow_up");
        let body = notices[0]["body"].as_str().unwrap();
        assert!(body.contains("a 10% voucher is on your account"), "{body}");
        let link = body
            .split_whitespace()
            .find(|w| w.contains("/survey/"))
            .unwrap();
        let token = link.rsplit('/').next().unwrap();

        let anonymous = reqwest::Client::new();
        let survey = get(&app, &anonymous, &format!("/public/surveys/{token}")).await;
        assert_eq!(survey["case_id"], id);
        assert_eq!(survey["answered"], false);

        // Forged and borrowed tokens open nothing.
        let forged = token.replacen(&format!("{id}."), &format!("{other_id}."), 1);
        for bad in [forged.as_str(), "nonsense", &format!("{token}x")] {
            let (status, problem) = call(
                &anonymous,
                reqwest::Method::POST,
                app.api(&format!("/public/surveys/{bad}")),
                Some(json!({"score": 5, "solved": true})),
            )
            .await;
            assert_eq!(status, 404, "{bad}: {problem}");
        }
        let (status, problem) = post(
            &app,
            &anonymous,
            &format!("/public/surveys/{token}"),
            json!({"score": 9, "solved": true}),
        )
        .await;
        refused(status, &problem, 422, "score");

        let (status, answered) = post(
            &app,
            &anonymous,
            &format!("/public/surveys/{token}"),
            json!({"score": 2, "solved": false, "comment": "still no parcel"}),
        )
        .await;
        assert_eq!(status, 200, "{answered}");
        let case = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(case["status"], "reopened");
        assert_eq!(case["reopened_by_follow_up"], true);
        assert_eq!(case["csat"], 2);
        let queue = get(&app, &agent, "/queue").await;
        assert_eq!(
            queue["items"][0]["id"], id,
            "ahead of the urgent case: {queue}"
        );
        assert_eq!(
            queue["items"][0]["reasons"][0],
            "customer said not solved at follow-up"
        );

        let (status, _) = post(
            &app,
            &anonymous,
            &format!("/public/surveys/{token}"),
            json!({"score": 5, "solved": true}),
        )
        .await;
        assert_eq!(status, 422, "answered once");
        let stats = get(&app, &agent, "/stats").await;
        assert_eq!(stats["csat"]["count"], 1);
        assert_eq!(stats["csat"]["average"], 2.0);
        assert_eq!(stats["reopened"], 1);

        // The link expires.
        app.clock.advance(31 * DAY);
        let (status, _) = call(
            &anonymous,
            reqwest::Method::GET,
            app.api(&format!("/public/surveys/{token}")),
            None,
        )
        .await;
        assert_eq!(status, 404, "expired");
    }
}

#[tokio::test]
async fn compensation_above_the_authority_waits_for_a_supervisor() {
    for app in TestApp::each().await {
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        // Test agents may grant 2,500 minor units per case.
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Ed", "ed@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        let path = format!("/cases/{id}/compensation");

        let (status, first) = post(
            &app,
            &agent,
            &path,
            json!({"kind": "refund", "amount_minor": 2000, "reason": "late delivery"}),
        )
        .await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["state"], "granted");
        assert_eq!(first["currency"], "USD");

        // The second grant takes the case past the limit: it waits.
        let (status, second) = post(
            &app,
            &agent,
            &path,
            json!({"kind": "gift", "amount_minor": 1000, "reason": "flowers"}),
        )
        .await;
        assert_eq!(status, 201);
        assert_eq!(second["state"], "awaiting_approval");
        let second_id = second["id"].as_i64().unwrap();
        assert_eq!(
            kinds(&get(&app, &supervisor, "/notifications").await),
            ["approval"]
        );
        let standing = get(
            &app,
            &agent,
            &format!("/customers/{}/standing", case["customer_id"]),
        )
        .await;
        assert_eq!(
            standing["compensation_to_date_minor"], 2000,
            "nothing waiting counts"
        );

        let (status, problem) = post(
            &app,
            &agent,
            &format!("/compensation/{second_id}/decision"),
            json!({"approve": true}),
        )
        .await;
        refused(status, &problem, 403, "");
        let waiting = get(&app, &supervisor, "/approvals").await;
        assert_eq!(waiting.as_array().unwrap().len(), 1);
        let (status, approved) = post(
            &app,
            &supervisor,
            &format!("/compensation/{second_id}/decision"),
            json!({"approve": true}),
        )
        .await;
        assert_eq!(status, 200, "{approved}");
        assert_eq!(approved["state"], "granted");
        assert!(approved["decided_by"].is_i64());
        let (status, _) = post(
            &app,
            &supervisor,
            &format!("/compensation/{second_id}/decision"),
            json!({"approve": false}),
        )
        .await;
        assert_eq!(status, 422, "decided once");

        let standing = get(
            &app,
            &agent,
            &format!("/customers/{}/standing", case["customer_id"]),
        )
        .await;
        assert_eq!(standing["compensation_to_date_minor"], 3000);
        assert_eq!(standing["complaints"], 1);
        // No revenue on file: any compensation is more than the customer brings.
        assert_eq!(standing["flags"], json!(["too_expensive_to_keep"]));
        let (status, problem) = post(
            &app,
            &agent,
            &path,
            json!({"kind": "refund", "amount_minor": 100, "currency": "EUR", "reason": "x"}),
        )
        .await;
        refused(status, &problem, 422, "currency");
        let stats = get(&app, &agent, "/stats").await;
        assert_eq!(stats["compensation"]["total"], 3000);
    }
}

#[tokio::test]
async fn a_threat_to_leave_flags_win_back_raises_priority_and_tells_a_supervisor() {
    for app in TestApp::each().await {
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let (status, case) = post(
            &app,
            &agent,
            "/cases",
            json!({"customer": {"name": "Flo", "email": "flo@example.com"}, "channel": "chat",
                   "subject": "Leaving",
                   "body": "I am cancelling my subscription and switching to another provider."}),
        )
        .await;
        assert_eq!(status, 201, "{case}");
        assert_eq!(case["churn_threat"], true);
        assert_eq!(case["win_back"], "undecided");
        assert_eq!(case["priority"], "high");
        assert!(case["messages"][0]["assessment"]["evidence"].is_array());
        assert_eq!(
            kinds(&get(&app, &supervisor, "/notifications").await),
            ["win_back"]
        );
        let calm = app
            .open_case(&agent, "Gil", "gil@example.com", "normal")
            .await;
        let queue = get(&app, &agent, "/queue").await;
        assert_eq!(queue["items"][0]["id"], case["id"]);
        assert!(queue["items"][0]["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("threatens to leave")));

        // An agent can mark it too; a case is flagged once.
        let (status, marked) = post(
            &app,
            &agent,
            &format!("/cases/{}/win-back", calm["id"]),
            json!({}),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(marked["win_back"], "undecided");
        post(
            &app,
            &agent,
            &format!("/cases/{}/win-back", calm["id"]),
            json!({}),
        )
        .await;
        assert_eq!(
            get(&app, &supervisor, "/notifications")
                .await
                .as_array()
                .unwrap()
                .len(),
            2
        );

        for (case_id, outcome) in [(&case["id"], "stayed"), (&calm["id"], "left")] {
            let (status, settled) = call(
                &agent,
                reqwest::Method::PUT,
                app.api(&format!("/cases/{case_id}/win-back")),
                Some(json!({"outcome": outcome})),
            )
            .await;
            assert_eq!(status, 200, "{settled}");
            assert_eq!(settled["win_back"], outcome);
        }
        let stats = get(&app, &agent, "/stats").await;
        assert_eq!(stats["win_back_rate"], 0.5, "{stats}");
    }
}

#[tokio::test]
async fn the_abuse_policy_steps_in_order_then_hands_the_case_to_a_supervisor() {
    for app in TestApp::each().await {
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let (_, case) = post(
            &app,
            &agent,
            "/cases",
            json!({"customer": {"name": "Hal", "phone": "+44 20 7946 0000"}, "channel": "phone",
                   "subject": "Call", "body": "You are useless idiots, all of you."}),
        )
        .await;
        let id = case["id"].as_i64().unwrap();
        assert_eq!(case["abusive_messages"], 1);
        assert_eq!(case["messages"][0]["abusive"], true);
        let mut steps = Vec::new();
        for _ in 0..3 {
            let (status, step) = post(
                &app,
                &agent,
                &format!("/cases/{id}/abuse-policy"),
                json!({}),
            )
            .await;
            assert_eq!(status, 201, "{step}");
            steps.push(step["step"].as_str().unwrap().to_owned());
        }
        assert_eq!(steps, ["warning", "final_warning", "end_contact"]);
        let (status, problem) = post(
            &app,
            &agent,
            &format!("/cases/{id}/abuse-policy"),
            json!({}),
        )
        .await;
        refused(status, &problem, 422, "step");
        assert_eq!(
            kinds(&get(&app, &supervisor, "/notifications").await),
            ["abuse"]
        );
        let detail = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(
            detail["messages"].as_array().unwrap().len(),
            4,
            "the scripts are on record"
        );
        let standing = get(
            &app,
            &agent,
            &format!("/customers/{}/standing", case["customer_id"]),
        )
        .await;
        assert_eq!(standing["abuse_steps"], 3);
    }
}

#[tokio::test]
async fn facts_are_read_back_corrected_and_confirmed() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Ivy", "ivy@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        let (status, fact) = post(
            &app,
            &agent,
            &format!("/cases/{id}/facts"),
            json!({"text": "Order 1234 arrived broken on 3 May"}),
        )
        .await;
        assert_eq!(status, 201, "{fact}");
        let fact_id = fact["id"].as_i64().unwrap();
        assert_eq!(fact["source"], "customer_said");
        let patch = |body: Value| {
            call(
                &agent,
                reqwest::Method::PATCH,
                app.api(&format!("/facts/{fact_id}")),
                Some(body),
            )
        };
        let (_, read) = patch(json!({"confirmed": false})).await;
        assert_eq!(
            (read["read_back"].clone(), read["confirmed"].clone()),
            (json!(true), json!(false))
        );
        let (_, fixed) = patch(json!({"text": "Order 1234 arrived broken on 4 May"})).await;
        assert_eq!(fixed["confirmed"], false);
        let detail = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(detail["unconfirmed_facts"], 1);
        let (_, confirmed) = patch(json!({"confirmed": true})).await;
        assert_eq!(confirmed["confirmed"], true);
        let detail = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(detail["unconfirmed_facts"], 0);
        // The old wording stays in the fact's history.
        let history = app.store.audit_trail("fact", fact_id).await.unwrap();
        let corrected = history
            .iter()
            .find(|e| e.action == "fact.corrected")
            .unwrap();
        let changes: Value = serde_json::from_str(&corrected.changes).unwrap();
        assert_eq!(changes[0]["from"], "Order 1234 arrived broken on 3 May");

        let (status, problem) = patch(json!({})).await;
        refused(status, &problem, 422, "text");
        let (status, expectation) = call(
            &agent,
            reqwest::Method::PUT,
            app.api(&format!("/cases/{id}/expectation")),
            Some(
                json!({"kind": "replacement", "words": "a new one by Friday",
                        "met_by_solution": true}),
            ),
        )
        .await;
        assert_eq!(status, 200, "{expectation}");
        assert_eq!(expectation["expectation"]["kind"], "replacement");
    }
}

fn link_token(notice: &Value, page: &str) -> String {
    let body = notice["body"].as_str().unwrap();
    let link = body
        .split_whitespace()
        .find(|w| w.contains(&format!("/{page}/")))
        .unwrap_or_else(|| panic!("no {page} link in {body}"));
    link.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_shared_plan_is_followed_and_answered_by_signed_link_and_a_rejection_offers_a_refund() {
    for app in TestApp::each().await {
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Jo", "jo@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        let other = app
            .open_case(&agent, "Kit", "kit@example.com", "normal")
            .await;
        let plan_body = json!({"steps": [
            {"description": "Collect the broken table", "due_at": at(&app, DAY)},
            {"description": "Deliver a new one", "due_at": at(&app, 3 * DAY)},
        ]});
        let (status, plan) = call(
            &agent,
            reqwest::Method::PUT,
            app.api(&format!("/cases/{id}/plan")),
            Some(plan_body),
        )
        .await;
        assert_eq!(status, 200, "{plan}");
        assert_eq!(plan["steps"][1]["position"], 2);
        let (status, problem) = call(
            &agent,
            reqwest::Method::PUT,
            app.api(&format!("/cases/{id}/plan")),
            Some(json!({"steps": [{"description": "yesterday", "due_at": at(&app, -HOUR)}]})),
        )
        .await;
        refused(status, &problem, 422, "steps[0].due_at");

        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        assert_eq!(notices[0]["kind"], "plan.shared");
        let token = link_token(&notices[0], "plan");
        let anonymous = reqwest::Client::new();
        let seen = get(&app, &anonymous, &format!("/public/plans/{token}")).await;
        assert_eq!(seen["steps"][0]["description"], "Collect the broken table");
        assert!(seen["steps"][0]["done_at"].is_null());
        let borrowed = token.replacen(&format!("{id}."), &format!("{}.", other["id"]), 1);
        let (status, _) = call(
            &anonymous,
            reqwest::Method::GET,
            app.api(&format!("/public/plans/{borrowed}")),
            None,
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = call(
            &anonymous,
            reqwest::Method::GET,
            app.api(&format!("/public/summaries/{token}")),
            None,
        )
        .await;
        assert_eq!(status, 404, "a plan link opens no summary");

        let step_id = seen["steps"][0]["id"].as_i64().unwrap();
        let (status, _) = post(
            &app,
            &agent,
            &format!("/plan-steps/{step_id}/done"),
            json!({}),
        )
        .await;
        assert_eq!(status, 200);
        let seen = get(&app, &anonymous, &format!("/public/plans/{token}")).await;
        assert!(
            seen["steps"][0]["done_at"].is_string(),
            "the customer sees the step done"
        );
        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        assert_eq!(notices[0]["kind"], "plan.step_done");

        let (status, problem) = post(
            &app,
            &anonymous,
            &format!("/public/plans/{token}"),
            json!({"answer": "full_refund"}),
        )
        .await;
        refused(status, &problem, 422, "answer");
        let (status, rejected) = post(
            &app,
            &anonymous,
            &format!("/public/plans/{token}"),
            json!({"answer": "rejected"}),
        )
        .await;
        assert_eq!(status, 200, "{rejected}");
        assert_eq!(rejected["full_refund_offered"], true);
        let (_, declined) = post(
            &app,
            &anonymous,
            &format!("/public/plans/{token}"),
            json!({"answer": "refund_declined"}),
        )
        .await;
        assert_eq!(declined["plan"]["answer"], "refund_declined");
        assert_eq!(
            kinds(&get(&app, &supervisor, "/notifications").await),
            ["plan_declined"]
        );
        let detail = get(&app, &agent, &format!("/cases/{id}")).await;
        let notes: Vec<&str> = detail["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "note")
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("offered a full refund"));
    }
}

#[tokio::test]
async fn the_written_summary_is_drafted_from_confirmed_facts_and_the_customer_answers_it() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Lou", "lou@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        let (_, fact) = post(
            &app,
            &agent,
            &format!("/cases/{id}/facts"),
            json!({"text": "The order arrived two weeks late"}),
        )
        .await;
        call(
            &agent,
            reqwest::Method::PATCH,
            app.api(&format!("/facts/{}", fact["id"])),
            Some(json!({"confirmed": true})),
        )
        .await;
        post(
            &app,
            &agent,
            &format!("/cases/{id}/promises"),
            json!({"kind": "refund", "description": "refund the delivery charge",
                   "due_at": at(&app, DAY)}),
        )
        .await;
        let draft = get(&app, &agent, &format!("/cases/{id}/summary/draft")).await;
        let body = draft["body"].as_str().unwrap();
        assert!(body.starts_with("Dear Lou,"), "{body}");
        assert!(body.contains("as you confirmed it:\n- The order arrived two weeks late"));
        assert!(body.contains("refund the delivery charge, by"));

        let (status, sent) = post(
            &app,
            &agent,
            &format!("/cases/{id}/summary"),
            json!({"body": format!("{body}\nKind regards, the team")}),
        )
        .await;
        assert_eq!(status, 201, "{sent}");
        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        assert_eq!(notices[0]["kind"], "summary");
        assert_eq!(notices[0]["to_address"], "lou@example.com");
        let token = link_token(&notices[0], "summary");
        let anonymous = reqwest::Client::new();
        let seen = get(&app, &anonymous, &format!("/public/summaries/{token}")).await;
        assert!(seen["body"]
            .as_str()
            .unwrap()
            .ends_with("Kind regards, the team"));
        let (status, problem) = post(
            &app,
            &anonymous,
            &format!("/public/summaries/{token}"),
            json!({"confirmed": false}),
        )
        .await;
        refused(status, &problem, 422, "comment");
        let (status, _) = post(
            &app,
            &anonymous,
            &format!("/public/summaries/{token}"),
            json!({"confirmed": false, "comment": "It was three weeks, not two"}),
        )
        .await;
        assert_eq!(status, 200);
        let detail = get(&app, &agent, &format!("/cases/{id}")).await;
        let last = detail["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["direction"], "inbound");
        assert!(last["body"].as_str().unwrap().contains("three weeks"));
        let (status, _) = post(
            &app,
            &anonymous,
            &format!("/public/summaries/{token}"),
            json!({"confirmed": true}),
        )
        .await;
        assert_eq!(status, 422, "answered once");
    }
}
