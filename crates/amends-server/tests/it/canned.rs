use amends_core::AgentRole;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, get, post, TestApp};

fn kinds(coaching: &Value) -> Vec<String> {
    coaching["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_canned_reply_is_coached_when_written_and_fills_its_variables_when_used() {
    for app in TestApp::each().await {
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let body = "Hi {{customer.first_name}}, I'm sorry your parcel is late. Case #{{case.id}} is with me and it won't happen again. {{agent.name}}";
        let reply = json!({"name": "Late parcel", "body": body, "set_status": "waiting_on_customer", "add_tags": ["Late Parcel"], "take_case": true});
        let (status, _) = post(&app, &agent, "/canned-replies", reply.clone()).await;
        assert_eq!(
            status, 403,
            "agents use canned replies; supervisors write them"
        );
        let (status, written) = post(&app, &supervisor, "/canned-replies", reply.clone()).await;
        assert_eq!(status, 201, "{written}");
        assert!(
            kinds(&written["coaching"]).contains(&"forbidden_promise".to_owned()),
            "flagged when written: {}",
            written["coaching"]
        );
        let id = written["reply"]["id"].as_i64().unwrap();
        let (status, _) = post(&app, &supervisor, "/canned-replies", reply).await;
        assert_eq!(status, 409, "names are unique");
        let (status, problem) = post(
            &app,
            &supervisor,
            "/canned-replies",
            json!({"name": "Odd", "body": "Hi {{customer.shoe_size}}"}),
        )
        .await;
        assert_eq!((status, &problem["field"]), (422, &json!("body")));

        let opened = app
            .open_case(&agent, "Dana Smith", "dana@example.com", "normal")
            .await;
        let case_id = opened["id"].as_i64().unwrap();
        let (status, used) = post(
            &app,
            &agent,
            &format!("/cases/{case_id}/canned-replies/{id}"),
            json!(null),
        )
        .await;
        assert_eq!(status, 200, "{used}");
        let text = used["body"].as_str().unwrap();
        assert!(
            text.starts_with("Hi Dana, I'm sorry") && text.contains(&format!("Case #{case_id} ")),
            "{text}"
        );
        assert!(!text.contains("{{"));
        assert!(kinds(&used["coaching"]).contains(&"forbidden_promise".to_owned()));
        assert_eq!(used["case"]["status"], "waiting_on_customer");
        assert!(used["case"]["owner_id"].is_i64(), "the agent took the case");
        assert_eq!(used["tags"], json!(["late-parcel"]));
        let listed = get(&app, &agent, "/canned-replies").await;
        assert_eq!(listed[0]["uses"], 1, "uses are counted");
        let trail = get(&app, &agent, &format!("/cases/{case_id}/audit"))
            .await
            .to_string();
        assert!(
            trail.contains("case.tagged") && trail.contains("case.changed"),
            "{trail}"
        );

        // A closed case cannot be set waiting: nothing of the reply's actions is taken.
        let closed = app
            .open_case(&agent, "Eli Stone", "eli@example.com", "normal")
            .await;
        let closed_id = closed["id"].as_i64().unwrap();
        let url = app.api(&format!("/cases/{closed_id}"));
        let (status, _) = crate::helpers::call(
            &agent,
            reqwest::Method::PATCH,
            url,
            Some(json!({"status": "closed"})),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = post(
            &app,
            &agent,
            &format!("/cases/{closed_id}/canned-replies/{id}"),
            json!(null),
        )
        .await;
        assert_eq!(status, 422);
        let after = get(&app, &agent, &format!("/cases/{closed_id}")).await;
        assert!(after["owner_id"].is_null(), "not taken: {after}");
        let listed = get(&app, &agent, "/canned-replies").await;
        assert_eq!(listed[0]["uses"], 1, "a use that failed is not counted");
        let tagged = get(&app, &agent, "/search?q=tag:late-parcel").await;
        assert_eq!(tagged["cases"].as_array().unwrap().len(), 1, "not tagged");

        let changed = supervisor
            .put(app.api(&format!("/canned-replies/{id}")))
            .json(&json!({"name": "Late parcel", "body": "Hello {{customer.name}}."}))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 200);
        let removed = supervisor
            .delete(app.api(&format!("/canned-replies/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(removed.status(), 204);
        let gone = agent
            .post(app.api(&format!("/cases/{case_id}/canned-replies/{id}")))
            .send()
            .await
            .unwrap();
        assert_problem(gone, 404, None).await;
    }
}

#[tokio::test]
async fn a_canned_reply_fills_custom_fields_the_desk_defines() {
    for app in TestApp::each().await {
        let admin = app.token_client(AgentRole::Admin).await;
        let (status, _) = post(
            &app,
            &admin,
            "/custom-fields",
            json!({"key": "order_number", "label": "Order", "on": "case", "kind": "text"}),
        )
        .await;
        assert_eq!(status, 201);
        let (status, problem) = post(
            &app,
            &admin,
            "/canned-replies",
            json!({"name": "Bad", "body": "{{customer.fields.tier}}"}),
        )
        .await;
        assert_eq!(
            (status, &problem["field"]),
            (422, &json!("body")),
            "a field the desk lacks"
        );
        let (status, written) = post(&app, &admin, "/canned-replies", json!({"name": "Order", "body": "Your order {{case.fields.order_number}} is on its way."})).await;
        assert_eq!(status, 201, "{written}");
        let id = written["reply"]["id"].as_i64().unwrap();
        let opened = app
            .open_case(&admin, "Ola", "ola@example.com", "normal")
            .await;
        let case_id = opened["id"].as_i64().unwrap();
        let put = admin
            .put(app.api(&format!("/cases/{case_id}/fields")))
            .json(&json!({"fields": {"order_number": "A-77"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200);
        let (status, used) = post(
            &app,
            &admin,
            &format!("/cases/{case_id}/canned-replies/{id}"),
            json!(null),
        )
        .await;
        assert_eq!(
            (status, used["body"].as_str()),
            (200, Some("Your order A-77 is on its way."))
        );
    }
}
