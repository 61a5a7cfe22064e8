use amends_core::AgentRole;
use serde_json::json;

use crate::helpers::{get, post, TestApp};

#[tokio::test]
async fn many_cases_change_at_once_or_not_at_all() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let lee = app.add_agent("lee@desk.test", AgentRole::Agent).await;
        let mut ids = Vec::new();
        for name in ["Ann", "Bo", "Cy"] {
            let case = app
                .open_case(
                    &client,
                    name,
                    &format!("{}@example.com", name.to_lowercase()),
                    "normal",
                )
                .await;
            ids.push(case["id"].as_i64().unwrap());
        }
        let (status, done) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": ids, "owner_id": lee, "status": "open", "add_tags": ["Batch 7"]}),
        )
        .await;
        assert_eq!(status, 200, "{done}");
        for (case, id) in done["cases"].as_array().unwrap().iter().zip(&ids) {
            assert_eq!(
                (
                    case["id"].as_i64(),
                    case["owner_id"].as_i64(),
                    case["status"].as_str()
                ),
                (Some(*id), Some(lee), Some("open"))
            );
        }
        let tagged = get(&app, &client, "/search?q=tag:batch-7").await;
        assert_eq!(tagged["cases"].as_array().unwrap().len(), 3);
        let trail = get(&app, &client, &format!("/cases/{}/audit", ids[1]))
            .await
            .to_string();
        assert!(trail.contains("case.changed") && trail.contains("case.tagged"));

        // One case cannot take the change (a closed case is only reopened): nothing changes.
        let (status, _) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": [ids[0]], "status": "closed"}),
        )
        .await;
        assert_eq!(status, 200);
        let (status, problem) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": [ids[1], ids[0]], "status": "waiting_on_customer", "unassign": true}),
        )
        .await;
        assert_eq!(
            (status, &problem["field"]),
            (422, &json!("case_ids[1]")),
            "{problem}"
        );
        let untouched = get(&app, &client, &format!("/cases/{}", ids[1])).await;
        assert_eq!(
            untouched["owner_id"].as_i64(),
            Some(lee),
            "nothing half-applied"
        );
        let (status, problem) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": [ids[1], 999_999]}),
        )
        .await;
        assert_eq!((status, &problem["field"]), (422, &json!("case_ids[1]")));
        let (status, problem) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": [ids[1], ids[1]]}),
        )
        .await;
        assert_eq!((status, &problem["field"]), (422, &json!("case_ids[1]")));
        let (status, _) = post(&app, &client, "/cases/bulk", json!({"case_ids": []})).await;
        assert_eq!(status, 422);
    }
}

#[tokio::test]
async fn cases_export_as_csv_streamed_with_formulas_made_harmless() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let admin = app.token_client(AgentRole::Admin).await;
        let (status, _) = post(
            &app,
            &admin,
            "/custom-fields",
            json!({"key": "order_number", "label": "Order", "on": "case", "kind": "text"}),
        )
        .await;
        assert_eq!(status, 201);
        let (_, tricky) = post(&app, &client, "/cases", json!({"customer": {"name": "Eve, \"the\" tester", "email": "eve@example.com"}, "channel": "email", "subject": "=HYPERLINK(\"http://evil\")", "body": "A kettle, broken."})).await;
        let tricky_id = tricky["id"].as_i64().unwrap();
        let put = client
            .put(app.api(&format!("/cases/{tricky_id}/fields")))
            .json(&json!({"fields": {"order_number": "A-1"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200);
        for i in 0..3 {
            app.open_case(
                &client,
                &format!("Many {i}"),
                &format!("many{i}@example.com"),
                "normal",
            )
            .await;
        }
        let export = |q: &str| {
            let url = app.api(&format!("/export/cases.csv{q}"));
            let client = client.clone();
            async move {
                let response = client.get(url).send().await.unwrap();
                assert_eq!(response.status(), 200);
                assert_eq!(
                    response.headers()["content-type"],
                    "text/csv; charset=utf-8"
                );
                let total: usize = response.headers()["x-total-count"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                let text = response.text().await.unwrap();
                let rows = text.split("\r\n").filter(|l| !l.is_empty()).count() - 1;
                assert_eq!(total, rows, "X-Total-Count counts the rows");
                text
            }
        };
        let all = export("").await;
        let lines: Vec<&str> = all.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert!(
            lines[0].starts_with("id,subject,status,")
                && lines[0].ends_with(",tags,field:order_number")
        );
        assert_eq!(lines.len(), 1 + 4, "every case once");
        let row = lines
            .iter()
            .find(|l| l.starts_with(&format!("{tricky_id},")))
            .unwrap();
        assert!(
            row.starts_with(&format!(
                "{tricky_id},\"'=HYPERLINK(\"\"http://evil\"\")\","
            )),
            "{row}"
        );
        assert!(
            row.contains("\"Eve, \"\"the\"\" tester\"") && row.ends_with(",A-1"),
            "{row}"
        );
        let searched = export("?q=kettle").await;
        assert_eq!(
            searched.split("\r\n").filter(|l| !l.is_empty()).count(),
            2,
            "{searched}"
        );
        let by_field = export("?q=order_number:A-1").await;
        assert_eq!(
            by_field.split("\r\n").filter(|l| !l.is_empty()).count(),
            2,
            "a custom field filter holds in exports"
        );
        let filtered = export("?q=customer:eve@example.com").await;
        assert_eq!(filtered.split("\r\n").filter(|l| !l.is_empty()).count(), 2);
        let bad = client
            .get(app.api("/export/cases.csv?q=status:lost"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        let figures = client
            .get(app.api("/export/figures.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(figures.status(), 200);
        let figures = figures.text().await.unwrap();
        assert!(figures.starts_with("figure,value\r\n"), "{figures}");
        let stats = get(&app, &client, "/stats").await;
        let (name, value) = stats
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, v)| v.is_number())
            .unwrap();
        assert!(
            figures.contains(&format!("\r\n{name},{value}\r\n")),
            "{figures}"
        );
    }
}

#[tokio::test]
async fn agents_see_each_other_on_a_case_and_a_reply_to_an_old_message_asks_first() {
    for app in TestApp::each().await {
        let ann = app.token_client(AgentRole::Agent).await;
        let lee = app.token_client(AgentRole::Agent).await;
        let opened = app
            .open_case(&ann, "Kim", "kim@example.com", "normal")
            .await;
        let id = opened["id"].as_i64().unwrap();
        let read = opened["messages"][0]["id"].as_i64().unwrap();
        let presence = format!("/cases/{id}/presence");
        let put = |client: &reqwest::Client, typing: bool| {
            let request = client
                .put(app.api(&presence))
                .json(&json!({"typing": typing}));
            async move {
                request
                    .send()
                    .await
                    .unwrap()
                    .json::<serde_json::Value>()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(put(&ann, false).await["others"], json!([]));
        let heard = put(&lee, true).await;
        assert_eq!(
            heard["others"].as_array().unwrap().len(),
            1,
            "Lee hears Ann"
        );
        let heard = put(&ann, false).await;
        assert_eq!(heard["others"][0]["typing"], true, "Ann hears Lee typing");
        app.clock.advance(60_000);
        assert_eq!(
            put(&ann, false).await["others"],
            json!([]),
            "gone after a while"
        );

        // The customer writes again while Ann writes her reply: sending asks first.
        let (status, _) = post(
            &app,
            &ann,
            &format!("/cases/{id}/messages"),
            json!({"direction": "inbound", "body": "Hello? Anyone?"}),
        )
        .await;
        assert_eq!(status, 201);
        let reply =
            json!({"direction": "outbound", "body": "Sorry, Kim.", "answers_message_id": read});
        let (status, problem) = post(&app, &ann, &format!("/cases/{id}/messages"), reply).await;
        assert_eq!(
            (status, &problem["field"]),
            (409, &json!("answers_message_id")),
            "{problem}"
        );
        let (status, _) = post(
            &app,
            &ann,
            &format!("/cases/{id}/messages"),
            json!({"direction": "outbound", "body": "Sorry, Kim."}),
        )
        .await;
        assert_eq!(status, 201, "sent anyway when the agent says so");
    }
}
