use amends_core::AgentRole;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, get, post, post_mail, TestApp};

fn bodies(case: &Value) -> Vec<String> {
    case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().trim().to_owned())
        .collect()
}

/// The customer wrote twice about one kettle: by the API, then by mail. The mail's case is
/// merged into the first; everything moves, in order; their next reply to the mail's thread
/// lands on the survivor; the merge is undone cleanly, and refused once something new happened.
#[tokio::test]
async fn a_duplicate_case_is_merged_with_everything_and_undone_cleanly() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let first = app
            .open_case(&client, "Kim Lee", "kim@example.com", "normal")
            .await;
        let survivor = first["id"].as_i64().unwrap();
        app.clock.advance(60_000);
        let raw = b"From: Kim Lee <kim@example.com>\r\nSubject: Broken kettle\r\nMessage-ID: <k1@example.com>\r\n\r\nThe kettle you sold me leaks.\r\n";
        let (status, outcome) = post_mail(&app, &client, raw).await;
        assert_eq!(status, 202, "{outcome}");
        let duplicate = outcome["case_id"].as_i64().unwrap();
        assert_ne!(duplicate, survivor);
        app.clock.advance(60_000);
        let (status, _) = post(
            &app,
            &client,
            &format!("/cases/{duplicate}/messages"),
            json!({"direction": "note", "body": "Same kettle as before."}),
        )
        .await;
        assert_eq!(status, 201);
        let (status, _) = post(
            &app,
            &client,
            &format!("/cases/{duplicate}/facts"),
            json!({"text": "Bought in March"}),
        )
        .await;
        assert_eq!(status, 201);
        let tagged = client
            .put(app.api(&format!("/cases/{duplicate}/tags")))
            .json(&json!({"tags": ["kettle"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(tagged.status(), 200);

        let (status, merged) = post(
            &app,
            &client,
            &format!("/cases/{survivor}/merges"),
            json!({"duplicate_id": duplicate}),
        )
        .await;
        assert_eq!(status, 200, "{merged}");
        let merge_id = merged["merge"]["id"].as_i64().unwrap();
        let kept = get(&app, &client, &format!("/cases/{survivor}")).await;
        assert_eq!(
            bodies(&kept),
            [
                "My order has not arrived.",
                "The kettle you sold me leaks.",
                "Same kettle as before."
            ],
            "in time order"
        );
        assert_eq!(kept["facts"][0]["text"], "Bought in March");
        assert_eq!(kept["tags"], json!(["kettle"]));
        let gone = get(&app, &client, &format!("/cases/{duplicate}")).await;
        assert_eq!(
            (gone["status"].as_str(), gone["merged_into"].as_i64()),
            (Some("closed"), Some(survivor))
        );
        assert!(bodies(&gone).is_empty());
        let trail = get(&app, &client, &format!("/cases/{survivor}/audit")).await;
        let actions: Vec<&str> = trail
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(
            actions.contains(&"case.merged") && actions.contains(&"case.merged_into"),
            "{actions:?}"
        );
        assert_eq!(
            actions.iter().filter(|a| **a == "case.opened").count(),
            2,
            "the duplicate's trail comes along"
        );

        let (status, problem) = post(
            &app,
            &client,
            &format!("/cases/{survivor}/merges"),
            json!({"duplicate_id": survivor}),
        )
        .await;
        assert_eq!((status, &problem["field"]), (422, &json!("duplicate_id")));
        let stranger = app
            .open_case(&client, "Other", "other@example.com", "normal")
            .await;
        let (status, _) = post(
            &app,
            &client,
            &format!("/cases/{survivor}/merges"),
            json!({"duplicate_id": stranger["id"]}),
        )
        .await;
        assert_eq!(status, 422, "another customer's case is not merged");

        let response = client
            .delete(app.api(&format!("/merges/{merge_id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let back = get(&app, &client, &format!("/cases/{duplicate}")).await;
        assert_eq!(
            bodies(&back),
            ["The kettle you sold me leaks.", "Same kettle as before."]
        );
        assert!(back["merged_into"].is_null() && back["status"] != "closed");
        assert_eq!(back["facts"][0]["text"], "Bought in March");
        let restored = get(&app, &client, &format!("/cases/{survivor}")).await;
        assert_eq!(bodies(&restored), ["My order has not arrived."]);
        assert_eq!(restored["tags"], json!([]));
        let again = client
            .delete(app.api(&format!("/merges/{merge_id}")))
            .send()
            .await
            .unwrap();
        assert_problem(again, 404, None).await;

        // Merged again; the customer answers the duplicate's mail thread; it lands on the
        // survivor, and the merge can no longer be undone.
        let (_, merged) = post(
            &app,
            &client,
            &format!("/cases/{survivor}/merges"),
            json!({"duplicate_id": duplicate}),
        )
        .await;
        app.clock.advance(60_000);
        let reply = b"From: Kim Lee <kim@example.com>\r\nSubject: Re: Broken kettle\r\nMessage-ID: <k2@example.com>\r\nIn-Reply-To: <k1@example.com>\r\nReferences: <k1@example.com>\r\n\r\nAny news?\r\n";
        let (status, outcome) = post_mail(&app, &client, reply).await;
        assert_eq!(
            (status, outcome["case_id"].as_i64()),
            (202, Some(survivor)),
            "{outcome}"
        );
        let late = client
            .delete(app.api(&format!("/merges/{}", merged["merge"]["id"])))
            .send()
            .await
            .unwrap();
        assert_problem(late, 422, Some("merge")).await;
    }
}

#[tokio::test]
async fn a_customer_recorded_twice_becomes_one_with_everything() {
    for app in TestApp::each().await {
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let (_, by_mail) = post(&app, &supervisor, "/cases", json!({"customer": {"name": "Ann Bell", "email": "ann@example.com"}, "channel": "email", "subject": "Late", "body": "Late again."})).await;
        let (_, by_phone) = post(&app, &supervisor, "/cases", json!({"customer": {"name": "A. Bell", "phone": "+44 20 7946 0958"}, "channel": "phone", "subject": "Refund", "body": "Where is my refund?"})).await;
        let survivor = by_mail["customer_id"].as_i64().unwrap();
        let duplicate = by_phone["customer_id"].as_i64().unwrap();
        assert_ne!(survivor, duplicate);
        let tagged = supervisor
            .put(app.api(&format!("/customers/{duplicate}/tags")))
            .json(&json!({"tags": ["vip"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(tagged.status(), 200);

        let agent = app.token_client(AgentRole::Agent).await;
        let (status, _) = post(
            &app,
            &agent,
            &format!("/customers/{survivor}/merges"),
            json!({"duplicate_id": duplicate}),
        )
        .await;
        assert_eq!(status, 403, "merging people is a supervisor's call");
        let (status, merged) = post(
            &app,
            &supervisor,
            &format!("/customers/{survivor}/merges"),
            json!({"duplicate_id": duplicate}),
        )
        .await;
        assert_eq!(status, 200, "{merged}");
        assert_eq!(merged["emails"], json!(["ann@example.com"]));
        assert_eq!(merged["phones"], json!(["+442079460958"]));
        let detail = get(&app, &supervisor, &format!("/customers/{survivor}")).await;
        assert_eq!(detail["cases"].as_array().unwrap().len(), 2);
        assert_eq!(detail["tags"], json!(["vip"]));
        let gone = supervisor
            .get(app.api(&format!("/customers/{duplicate}")))
            .send()
            .await
            .unwrap();
        assert_problem(gone, 404, None).await;
        let found = get(&app, &supervisor, "/search?q=020%207946%200958").await;
        let ids: Vec<i64> = found["customers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [survivor], "the search index follows the merge");
        let (_, again) = post(&app, &supervisor, "/cases", json!({"customer": {"name": "Ann", "phone": "+44 20 7946 0958"}, "channel": "phone", "subject": "Again", "body": "Hello?"})).await;
        assert_eq!(
            again["customer_id"].as_i64(),
            Some(survivor),
            "one record per customer"
        );
        let (status, problem) = post(
            &app,
            &supervisor,
            &format!("/customers/{survivor}/merges"),
            json!({"duplicate_id": survivor}),
        )
        .await;
        assert_eq!((status, &problem["field"]), (422, &json!("duplicate_id")));
    }
}

/// Three cases of one customer picked in the queue merge into the one opened first, in one
/// go; a case of someone else among them, or a change asked at the same time, merges nothing.
#[tokio::test]
async fn selected_cases_merge_into_the_first_opened_all_or_none() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            let case = app
                .open_case(&client, "Kim Lee", "kim@example.com", "normal")
                .await;
            ids.push(case["id"].as_i64().unwrap());
            app.clock.advance(60_000);
        }
        let stranger = app
            .open_case(&client, "Other", "other@example.com", "normal")
            .await;
        let (status, problem) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": [ids[2], ids[0], stranger["id"]], "merge": true}),
        )
        .await;
        assert_eq!((status, &problem["field"]), (422, &json!("case_ids[2]")));
        let (status, problem) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": [ids[2], ids[0]], "merge": true, "status": "open"}),
        )
        .await;
        assert_eq!((status, &problem["field"]), (422, &json!("merge")));
        for id in &ids {
            let case = get(&app, &client, &format!("/cases/{id}")).await;
            assert!(case["merged_into"].is_null(), "nothing merged: {case}");
        }

        let (status, done) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": [ids[2], ids[1], ids[0]], "merge": true}),
        )
        .await;
        assert_eq!(status, 200, "{done}");
        let merged_into: Vec<Value> = done["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["merged_into"].clone())
            .collect();
        assert_eq!(merged_into, [json!(ids[0]), json!(ids[0]), Value::Null]);
        let survivor = get(&app, &client, &format!("/cases/{}", ids[0])).await;
        assert_eq!(
            bodies(&survivor).len(),
            3,
            "every message is on the survivor"
        );
        let merges = get(&app, &client, &format!("/cases/{}/merges", ids[0])).await;
        let merges = merges.as_array().unwrap();
        assert_eq!(merges.len(), 2);
        let latest = merges[0]["id"].as_i64().unwrap();
        let response = client
            .delete(app.api(&format!("/merges/{latest}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "the latest merge is undone on its own"
        );
        let back = get(&app, &client, &format!("/cases/{}", ids[0])).await;
        assert_eq!(bodies(&back).len(), 2);
    }
}
