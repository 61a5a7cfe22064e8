use amends_core::job::{CaseReminder, Job, Scheduled};
use amends_core::AgentRole;
use amends_store::NewJob;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};

#[tokio::test]
async fn a_reminder_lands_on_the_case_once_when_its_time_comes() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&client, "Dee", "dee@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        let scheduled = client
            .post(app.api(&format!("/cases/{id}/reminders")))
            .json(&json!({"at": "2026-11-22T10:00:00Z", "note": "call Dee back"}))
            .send()
            .await
            .unwrap();
        assert_eq!(scheduled.status(), 201);

        app.clock.advance(59 * 60_000);
        assert_eq!(app.run_due_jobs().await.total(), 0, "not due yet");
        app.clock.advance(60_000);
        assert_eq!(app.run_due_jobs().await.done, 1);
        assert_eq!(app.run_due_jobs().await.total(), 0, "done once");

        let case: Value = client
            .get(app.api(&format!("/cases/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let notes: Vec<&str> = case["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "note")
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        assert_eq!(notes, ["Reminder: call Dee back"]);

        let bad_time = client
            .post(app.api(&format!("/cases/{id}/reminders")))
            .json(&json!({"at": "soon", "note": "x"}))
            .send()
            .await
            .unwrap();
        assert_problem(bad_time, 422, Some("at")).await;
    }
}

#[tokio::test]
async fn a_job_that_cannot_run_fails_visibly() {
    for app in TestApp::each().await {
        let context = amends_core::audit::AuditContext {
            actor: amends_core::audit::Actor::System,
            at: crate::helpers::START,
            remote_addr: None,
        };
        let start = crate::helpers::START;
        let id = amends_store::testing::insert_raw_job(&app.store, "no.such.kind", "{}", start, 3)
            .await
            .unwrap();
        let gone = NewJob {
            work: Scheduled {
                job: Job::CaseReminder(CaseReminder {
                    case_id: 4242,
                    note: "x".to_owned(),
                }),
                run_at: start,
            },
            max_attempts: 3,
        };
        app.store.schedule_job(&gone, &context).await.unwrap();
        let outcome = app.run_due_jobs().await;
        assert_eq!((outcome.done, outcome.failed), (0, 2));
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let failed: Value = supervisor
            .get(app.api("/jobs?status=failed"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let failed = failed.as_array().unwrap();
        assert_eq!(failed.len(), 2);
        assert_eq!(failed[0]["id"], id);
        assert!(failed[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot be read: unknown variant"));
        assert!(failed[1]["last_error"]
            .as_str()
            .unwrap()
            .contains("case not found"));
    }
}
