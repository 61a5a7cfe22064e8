//! The recovery workflow through the API, on each backend, with the clock moved by the test:
//! promises kept, extended and broken; follow-up surveys by signed link; compensation and its
//! approval; churn threats and win-back; the abuse policy; facts; the figures.

use amends_core::AgentRole;
use serde_json::{json, Value};

use crate::desk::{borrowed, link_token, Case, DAY, HOUR, MINUTE};
use crate::helpers::TestApp;

fn reasons(item: &Value) -> Vec<String> {
    item["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_promise_not_kept_breaks_and_the_supervisor_is_told() {
    for app in TestApp::each().await {
        let supervisor = app.agent(AgentRole::Supervisor).await;
        let agent = app.agent(AgentRole::Agent).await;
        let ann = agent.open_case("Ann", "normal").await;

        // "Soon" is not a time: a promise without one is refused and nothing is written.
        agent
            .promise(&ann, "call_back", "call Ann back soon", None)
            .await
            .refused(422, "due_at");
        assert!(agent.case(&ann).await["promises"]
            .as_array()
            .unwrap()
            .is_empty());

        let description = "call Ann back with the courier's answer";
        let promise = agent
            .promise(&ann, "call_back", description, Some(2 * HOUR))
            .await
            .expect(201);
        assert_eq!(promise["state"], "open");
        let promise = promise["id"].as_i64().unwrap();

        // Thirty minutes ahead the owner is reminded, and the case says a promise is due.
        app.later(HOUR + 31 * MINUTE).await;
        assert_eq!(agent.notifications().await, ["promise_due_soon"]);
        let queue = agent.queue().await;
        assert!(
            reasons(&queue[0])
                .iter()
                .any(|r| r.starts_with("promise due in")),
            "{queue:?}"
        );

        // The due time passes: the promise breaks, once, and the supervisor hears of it.
        app.later(30 * MINUTE).await;
        app.run_due_jobs().await;
        let case = agent.case(&ann).await;
        assert_eq!(case["promises"][0]["state"], "broken");
        assert_eq!(case["broken_promises"], 1);
        assert_eq!(supervisor.notifications().await, ["promise_broken"]);
        assert!(reasons(&agent.queue().await[0]).contains(&"broken promise".to_owned()));

        // Too late to keep it or to extend it.
        agent.keep(promise).await.refused(422, "");
        agent.extend(promise, DAY, "sorry").await.refused(422, "");

        let stats = agent.stats().await;
        assert_eq!(stats["promises"]["broken"], 1, "{stats}");
        assert_eq!(stats["promises"]["kept"], 0);
    }
}

#[tokio::test]
async fn an_extension_before_the_due_time_moves_the_deadline_and_tells_the_customer() {
    for app in TestApp::each().await {
        let agent = app.agent(AgentRole::Agent).await;
        let bo = agent.open_case("Bo", "normal").await;
        let promise = agent
            .promise(&bo, "refund", "refund the delivery charge", Some(2 * HOUR))
            .await
            .expect(201)["id"]
            .as_i64()
            .unwrap();

        app.later(HOUR).await;
        let extended = agent
            .extend(promise, 4 * HOUR, "the bank needs one more day")
            .await
            .expect(200);
        assert_eq!(extended["state"], "extended");
        assert_eq!(extended["extensions"], 1);
        let notices = agent.notices(&bo).await;
        assert_eq!(notices[0]["kind"], "promise_extended");
        assert_eq!(notices[0]["to_address"], "bo@example.com");
        assert_eq!(notices[0]["status"], "queued");
        assert!(notices[0]["body"]
            .as_str()
            .unwrap()
            .contains("the bank needs one more day"));

        // The old deadline passes and nothing breaks; the promise is kept before the new one.
        app.later(HOUR + MINUTE).await;
        assert_eq!(agent.case(&bo).await["promises"][0]["state"], "extended");
        assert_eq!(agent.keep(promise).await.expect(200)["state"], "kept");
        app.later(4 * HOUR).await;
        let case = agent.case(&bo).await;
        assert_eq!(case["promises"][0]["state"], "kept", "kept stays kept");
        assert_eq!(case["broken_promises"], 0);
        let stats = agent.stats().await;
        assert_eq!(stats["promises"]["kept"], 1);
        assert_eq!(stats["promises"]["extended"], 1);
        assert_eq!(stats["promises"]["kept_rate"], 1.0);
    }
}

#[tokio::test]
async fn a_follow_up_asks_by_signed_link_and_a_low_score_reopens_to_the_top() {
    for app in TestApp::each().await {
        let agent = app.agent(AgentRole::Agent).await;
        let cy = agent.open_case("Cy", "low").await;
        let di = agent.open_case("Di", "urgent").await;
        agent
            .change(
                &cy,
                json!({"status": "open", "follow_up_gesture": "a voucher"}),
            )
            .await
            .refused(422, "follow_up_gesture");
        let gesture = "a 10% voucher is on your account";
        agent
            .change(
                &cy,
                json!({"status": "resolved", "follow_up_gesture": gesture}),
            )
            .await
            .expect(200);

        app.later(3 * DAY - MINUTE).await;
        assert!(agent.notices(&cy).await.is_empty(), "not yet");
        app.later(MINUTE).await;
        let notices = agent.notices(&cy).await;
        assert_eq!(notices.len(), 1, "asked once");
        assert_eq!(notices[0]["kind"], "follow_up");
        assert!(notices[0]["body"].as_str().unwrap().contains(gesture));
        let token = link_token(&notices[0], "survey");

        let customer = app.visitor();
        let survey = customer.open("surveys", &token).await.expect(200);
        assert_eq!(survey["case_id"], cy.id);
        assert_eq!(survey["answered"], false);

        // Forged and borrowed tokens open nothing.
        for bad in [
            borrowed(&token, &cy, &di),
            "nonsense".into(),
            format!("{token}x"),
        ] {
            let answer = json!({"score": 5, "solved": true});
            let refused = customer.answer("surveys", &bad, answer).await;
            assert_eq!(refused.status, 404, "{bad}: {refused:?}");
        }
        customer
            .answer("surveys", &token, json!({"score": 9, "solved": true}))
            .await
            .refused(422, "score");

        let answer = json!({"score": 2, "solved": false, "comment": "still no parcel"});
        customer.answer("surveys", &token, answer).await.expect(200);
        let case = agent.case(&cy).await;
        assert_eq!(case["status"], "reopened");
        assert_eq!(case["reopened_by_follow_up"], true);
        assert_eq!(case["csat"], 2);
        let queue = agent.queue().await;
        assert_eq!(queue[0]["id"], cy.id, "ahead of the urgent case: {queue:?}");
        assert_eq!(
            queue[0]["reasons"][0],
            "customer said not solved at follow-up"
        );

        customer
            .answer("surveys", &token, json!({"score": 5, "solved": true}))
            .await
            .refused(422, "");
        let stats = agent.stats().await;
        assert_eq!(stats["csat"]["count"], 1);
        assert_eq!(stats["csat"]["average"], 2.0);
        assert_eq!(stats["reopened"], 1);

        // The link expires.
        app.later(31 * DAY).await;
        assert_eq!(customer.open("surveys", &token).await.status, 404);
    }
}

#[tokio::test]
async fn compensation_above_the_authority_waits_for_a_supervisor() {
    for app in TestApp::each().await {
        let supervisor = app.agent(AgentRole::Supervisor).await;
        // Test agents may grant 2,500 minor units per case.
        let agent = app.agent(AgentRole::Agent).await;
        let ed = agent.open_case("Ed", "normal").await;

        let first = agent
            .compensate(
                &ed,
                json!({"kind": "refund", "amount_minor": 2000, "reason": "late delivery"}),
            )
            .await
            .expect(201);
        assert_eq!(first["state"], "granted");
        assert_eq!(first["currency"], "USD");

        // The second grant takes the case past the limit: it waits.
        let second = agent
            .compensate(
                &ed,
                json!({"kind": "gift", "amount_minor": 1000, "reason": "flowers"}),
            )
            .await
            .expect(201);
        assert_eq!(second["state"], "awaiting_approval");
        let second = second["id"].as_i64().unwrap();
        assert_eq!(supervisor.notifications().await, ["approval"]);
        assert_eq!(
            agent.standing(&ed).await["compensation_to_date_minor"],
            2000,
            "nothing waiting counts"
        );

        agent.decide(second, true).await.refused(403, "");
        let waiting = supervisor.get("/approvals").await;
        assert_eq!(waiting.as_array().unwrap().len(), 1);
        let approved = supervisor.decide(second, true).await.expect(200);
        assert_eq!(approved["state"], "granted");
        assert!(approved["decided_by"].is_i64());
        supervisor.decide(second, false).await.refused(422, "");

        let standing = agent.standing(&ed).await;
        assert_eq!(standing["compensation_to_date_minor"], 3000);
        assert_eq!(standing["complaints"], 1);
        // No revenue on file: any compensation is more than the customer brings.
        assert_eq!(standing["flags"], json!(["too_expensive_to_keep"]));
        agent
            .compensate(
                &ed,
                json!({"kind": "refund", "amount_minor": 100, "currency": "EUR", "reason": "x"}),
            )
            .await
            .refused(422, "currency");
        assert_eq!(agent.stats().await["compensation"]["total"], 3000);
    }
}

#[tokio::test]
async fn a_threat_to_leave_flags_win_back_raises_priority_and_tells_a_supervisor() {
    for app in TestApp::each().await {
        let supervisor = app.agent(AgentRole::Supervisor).await;
        let agent = app.agent(AgentRole::Agent).await;
        let flo = agent
            .open(json!({
                "customer": {"name": "Flo", "email": "flo@example.com"}, "channel": "chat",
                "subject": "Leaving",
                "body": "I am cancelling my subscription and switching to another provider."}))
            .await;
        assert_eq!(flo["churn_threat"], true);
        assert_eq!(flo["win_back"], "undecided");
        assert_eq!(flo["priority"], "high");
        assert!(flo["messages"][0]["assessment"]["evidence"].is_array());
        assert_eq!(supervisor.notifications().await, ["win_back"]);
        let flo = Case::of(&flo);
        let gil = agent.open_case("Gil", "normal").await;
        let queue = agent.queue().await;
        assert_eq!(queue[0]["id"], flo.id);
        assert!(reasons(&queue[0]).contains(&"threatens to leave".to_owned()));

        // An agent can mark it too; a case is flagged once.
        let marked = agent.flag_win_back(&gil).await.expect(200);
        assert_eq!(marked["win_back"], "undecided");
        agent.flag_win_back(&gil).await;
        assert_eq!(supervisor.notifications().await.len(), 2);

        for (case, outcome) in [(&flo, "stayed"), (&gil, "left")] {
            let settled = agent.settle_win_back(case, outcome).await.expect(200);
            assert_eq!(settled["win_back"], outcome);
        }
        let stats = agent.stats().await;
        assert_eq!(stats["win_back_rate"], 0.5, "{stats}");
    }
}

#[tokio::test]
async fn the_abuse_policy_steps_in_order_then_hands_the_case_to_a_supervisor() {
    for app in TestApp::each().await {
        let supervisor = app.agent(AgentRole::Supervisor).await;
        let agent = app.agent(AgentRole::Agent).await;
        let hal = agent
            .open(json!({
                "customer": {"name": "Hal", "phone": "+44 20 7946 0000"}, "channel": "phone",
                "subject": "Call", "body": "You are useless idiots, all of you."}))
            .await;
        assert_eq!(hal["abusive_messages"], 1);
        assert_eq!(hal["messages"][0]["abusive"], true);
        let hal = Case::of(&hal);
        let mut steps = Vec::new();
        for _ in 0..3 {
            let step = agent.abuse_step(&hal).await.expect(201);
            steps.push(step["step"].as_str().unwrap().to_owned());
        }
        assert_eq!(steps, ["warning", "final_warning", "end_contact"]);
        agent.abuse_step(&hal).await.refused(422, "step");
        assert_eq!(supervisor.notifications().await, ["abuse"]);
        let messages = agent.case(&hal).await["messages"].as_array().unwrap().len();
        assert_eq!(messages, 4, "the scripts are on record");
        assert_eq!(agent.standing(&hal).await["abuse_steps"], 3);
    }
}

#[tokio::test]
async fn facts_are_read_back_corrected_and_confirmed() {
    for app in TestApp::each().await {
        let agent = app.agent(AgentRole::Agent).await;
        let ivy = agent.open_case("Ivy", "normal").await;
        let fact = agent
            .note_fact(&ivy, "Order 1234 arrived broken on 3 May")
            .await
            .expect(201);
        assert_eq!(fact["source"], "customer_said");
        let fact = fact["id"].as_i64().unwrap();

        let read = agent
            .change_fact(fact, json!({"confirmed": false}))
            .await
            .expect(200);
        assert_eq!(
            (&read["read_back"], &read["confirmed"]),
            (&json!(true), &json!(false))
        );
        let fixed = agent
            .change_fact(fact, json!({"text": "Order 1234 arrived broken on 4 May"}))
            .await
            .expect(200);
        assert_eq!(fixed["confirmed"], false);
        assert_eq!(agent.case(&ivy).await["unconfirmed_facts"], 1);
        let confirmed = agent
            .change_fact(fact, json!({"confirmed": true}))
            .await
            .expect(200);
        assert_eq!(confirmed["confirmed"], true);
        assert_eq!(agent.case(&ivy).await["unconfirmed_facts"], 0);
        // The old wording stays in the fact's history.
        let history = app.store.audit_trail("fact", fact).await.unwrap();
        let corrected = history
            .iter()
            .find(|e| e.action == "fact.corrected")
            .unwrap();
        let changes: Value = serde_json::from_str(&corrected.changes).unwrap();
        assert_eq!(changes[0]["from"], "Order 1234 arrived broken on 3 May");

        agent
            .change_fact(fact, json!({}))
            .await
            .refused(422, "text");
        let expectation = agent
            .record_expectation(
                &ivy,
                json!({"kind": "replacement", "words": "a new one by Friday",
                       "met_by_solution": true}),
            )
            .await
            .expect(200);
        assert_eq!(expectation["expectation"]["kind"], "replacement");
    }
}

#[tokio::test]
async fn a_shared_plan_is_followed_and_answered_by_signed_link_and_a_rejection_offers_a_refund() {
    for app in TestApp::each().await {
        let supervisor = app.agent(AgentRole::Supervisor).await;
        let agent = app.agent(AgentRole::Agent).await;
        let jo = agent.open_case("Jo", "normal").await;
        let kit = agent.open_case("Kit", "normal").await;
        let plan = agent
            .share_plan(
                &jo,
                &[
                    ("Collect the broken table", DAY),
                    ("Deliver a new one", 3 * DAY),
                ],
            )
            .await
            .expect(200);
        assert_eq!(plan["steps"][1]["position"], 2);
        agent
            .share_plan(&jo, &[("yesterday", -HOUR)])
            .await
            .refused(422, "steps[0].due_at");

        let notices = agent.notices(&jo).await;
        assert_eq!(notices[0]["kind"], "plan.shared");
        let token = link_token(&notices[0], "plan");
        let customer = app.visitor();
        let seen = customer.open("plans", &token).await.expect(200);
        assert_eq!(seen["steps"][0]["description"], "Collect the broken table");
        assert!(seen["steps"][0]["done_at"].is_null());
        let moved = borrowed(&token, &jo, &kit);
        assert_eq!(customer.open("plans", &moved).await.status, 404);
        let summary = customer.open("summaries", &token).await;
        assert_eq!(summary.status, 404, "a plan link opens no summary");

        let step = seen["steps"][0]["id"].as_i64().unwrap();
        agent.step_done(step).await.expect(200);
        let seen = customer.open("plans", &token).await.expect(200);
        assert!(
            seen["steps"][0]["done_at"].is_string(),
            "the customer sees the step done"
        );
        assert_eq!(agent.notices(&jo).await[0]["kind"], "plan.step_done");

        customer
            .answer("plans", &token, json!({"answer": "full_refund"}))
            .await
            .refused(422, "answer");
        let rejected = customer
            .answer("plans", &token, json!({"answer": "rejected"}))
            .await
            .expect(200);
        assert_eq!(rejected["full_refund_offered"], true);
        let declined = customer
            .answer("plans", &token, json!({"answer": "refund_declined"}))
            .await
            .expect(200);
        assert_eq!(declined["plan"]["answer"], "refund_declined");
        assert_eq!(supervisor.notifications().await, ["plan_declined"]);
        let case = agent.case(&jo).await;
        let notes: Vec<&str> = case["messages"]
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
        let agent = app.agent(AgentRole::Agent).await;
        let lou = agent.open_case("Lou", "normal").await;
        let fact = agent
            .note_fact(&lou, "The order arrived two weeks late")
            .await
            .expect(201)["id"]
            .as_i64()
            .unwrap();
        agent
            .change_fact(fact, json!({"confirmed": true}))
            .await
            .expect(200);
        agent
            .promise(&lou, "refund", "refund the delivery charge", Some(DAY))
            .await
            .expect(201);
        let draft = agent.draft_summary(&lou).await;
        assert!(draft.starts_with("Dear Lou,"), "{draft}");
        assert!(draft.contains("as you confirmed it:\n- The order arrived two weeks late"));
        assert!(draft.contains("refund the delivery charge, by"));

        agent
            .send_summary(&lou, &format!("{draft}\nKind regards, the team"))
            .await
            .expect(201);
        let notices = agent.notices(&lou).await;
        assert_eq!(notices[0]["kind"], "summary");
        assert_eq!(notices[0]["to_address"], "lou@example.com");
        let token = link_token(&notices[0], "summary");
        let customer = app.visitor();
        let seen = customer.open("summaries", &token).await.expect(200);
        assert!(seen["body"]
            .as_str()
            .unwrap()
            .ends_with("Kind regards, the team"));
        customer
            .answer("summaries", &token, json!({"confirmed": false}))
            .await
            .refused(422, "comment");
        let correction = json!({"confirmed": false, "comment": "It was three weeks, not two"});
        customer
            .answer("summaries", &token, correction)
            .await
            .expect(200);
        let case = agent.case(&lou).await;
        let last = case["messages"].as_array().unwrap().last().unwrap();
        assert_eq!(last["direction"], "inbound");
        assert!(last["body"].as_str().unwrap().contains("three weeks"));
        customer
            .answer("summaries", &token, json!({"confirmed": true}))
            .await
            .refused(422, "");
    }
}
