use amends_core::AgentRole;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, get, post, TestApp};

fn marked(hit: &Value) -> Vec<String> {
    hit["snippet"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["marked"] == true)
        .map(|p| p["text"].as_str().unwrap().to_owned())
        .collect()
}

fn case_ids(results: &Value) -> Vec<i64> {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["case"]["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn search_finds_cases_by_any_message_and_customers_by_phone_and_stays_current() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let opened = app
            .open_case(&client, "Petra Quist", "petra@example.com", "normal")
            .await;
        let id = opened["id"].as_i64().unwrap();
        let messages = format!("/cases/{id}/messages");
        for (direction, body) in [
            ("outbound", "Sorry, Petra. A new kettle is on its way."),
            (
                "inbound",
                "The new Zeppelin kettle's thermostat failed as well!",
            ),
        ] {
            let (status, _) = post(
                &app,
                &client,
                &messages,
                json!({"direction": direction, "body": body}),
            )
            .await;
            assert_eq!(status, 201);
        }
        let (status, _) = post(
            &app,
            &client,
            "/customers",
            json!({"name": "Grace Hopper", "phones": ["+1 (555) 010-0199"]}),
        )
        .await;
        assert_eq!(status, 201);

        let found = get(&app, &client, "/search?q=zeppelin").await;
        assert_eq!(
            case_ids(&found),
            [id],
            "a word from the third message finds its case"
        );
        let hit = &found["cases"][0];
        assert_eq!(hit["found_in"], "customer_message");
        assert_eq!(hit["customer_name"], "Petra Quist");
        assert_eq!(marked(hit), ["Zeppelin"]);
        let text: String = hit["snippet"]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["text"].as_str().unwrap())
            .collect();
        assert_eq!(text, "The new Zeppelin kettle's thermostat failed as well!");

        let by_phone = get(&app, &client, "/search?q=555.010.0199").await;
        assert_eq!(
            by_phone["customers"][0]["name"], "Grace Hopper",
            "a phone number in another format"
        );
        let phrase = get(
            &app,
            &client,
            "/search?q=%22kettle%27s%20thermostat%22%20channel:email",
        )
        .await;
        assert_eq!(case_ids(&phrase), [id]);
        for narrowed in [
            "zeppelin status:closed",
            "zeppelin owner:me",
            "zeppelin customer:other@example.com",
        ] {
            let none = get(&app, &client, &format!("/search?q={}", urlencode(narrowed))).await;
            assert!(case_ids(&none).is_empty(), "{narrowed}");
        }

        let before = get(&app, &client, "/search?q=walrus").await;
        assert!(case_ids(&before).is_empty());
        let (status, _) = post(
            &app,
            &client,
            &messages,
            json!({"direction": "note", "body": "Supplier says the walrus batch is faulty."}),
        )
        .await;
        assert_eq!(status, 201);
        let after = get(&app, &client, "/search?q=walrus").await;
        assert_eq!(case_ids(&after), [id], "the index is current after a note");
        assert_eq!(after["cases"][0]["found_in"], "note");

        for bad in ["", "colour:red", "after:yesterday"] {
            let response = client
                .get(app.api(&format!("/search?q={}", urlencode(bad))))
                .send()
                .await
                .unwrap();
            assert_problem(response, 422, Some("q")).await;
        }
        let response = client
            .get(app.api("/search?q=kettle&page=99"))
            .send()
            .await
            .unwrap();
        assert_problem(response, 422, Some("page")).await;
    }
}

#[tokio::test]
async fn a_token_that_may_not_read_cases_cannot_search_them() {
    for app in TestApp::each().await {
        let console = app.admin().await;
        let created: Value = console
            .post(&app, "/tokens", &json!({"label": "mta", "scope": "intake"}))
            .await
            .json()
            .await
            .unwrap();
        let bearer = format!("Bearer {}", created["token"].as_str().unwrap());
        let response = reqwest::Client::new()
            .get(app.api("/search?q=kettle"))
            .header("authorization", bearer)
            .send()
            .await
            .unwrap();
        assert_problem(response, 403, None).await;
    }
}

#[tokio::test]
async fn the_console_search_page_marks_the_words_found() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        app.open_case(&client, "Ivo <b>Bold</b>", "ivo@example.com", "normal")
            .await;
        let console = app.admin().await;
        let page = |q: &str| {
            let url = format!("{}/search?q={}", app.url, urlencode(q));
            let client = console.client.clone();
            async move { client.get(url).send().await.unwrap().text().await.unwrap() }
        };
        let html = page("order").await;
        assert!(html.contains("<mark>order</mark>"), "{html}");
        assert!(
            html.contains("Ivo &lt;b&gt;Bold&lt;/b&gt;"),
            "customer text is escaped"
        );
        let refused = page("status:lost").await;
        assert!(refused.contains("status:lost is not a case status"));
        assert!(refused.contains("aria-invalid=\"true\""));
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn tags_are_put_on_cases_and_customers_found_by_search_and_the_queue_and_suggested() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let tagged = app
            .open_case(&client, "Ada", "ada@example.com", "normal")
            .await;
        let other = app
            .open_case(&client, "Bea", "bea@example.com", "normal")
            .await;
        let id = tagged["id"].as_i64().unwrap();
        let put = |path: String, body: Value| {
            let request = client.put(app.api(&path)).json(&body);
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap())
            }
        };
        let (status, saved) = put(
            format!("/cases/{id}/tags"),
            json!({"tags": ["Refund", "courier late", "refund"]}),
        )
        .await;
        assert_eq!(
            (status, saved),
            (200, json!({"tags": ["courier-late", "refund"]}))
        );
        let customer = tagged["customer_id"].as_i64().unwrap();
        let (status, _) = put(
            format!("/customers/{customer}/tags"),
            json!({"tags": ["vip"]}),
        )
        .await;
        assert_eq!(status, 200);

        let case = get(&app, &client, &format!("/cases/{id}")).await;
        assert_eq!(case["tags"], json!(["courier-late", "refund"]));
        let person = get(&app, &client, &format!("/customers/{customer}")).await;
        assert_eq!(person["tags"], json!(["vip"]));
        let found = get(&app, &client, "/search?q=order%20tag:refund").await;
        assert_eq!(case_ids(&found), [id], "tag: narrows the search");
        let queue = get(&app, &client, "/queue?tag=Refund").await;
        let queued: Vec<i64> = queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        assert_eq!(queued, [id], "and the queue");
        assert!(!queued.contains(&other["id"].as_i64().unwrap()));
        let suggested = get(&app, &client, "/tags?prefix=RE").await;
        assert_eq!(suggested, json!([{"tag": "refund", "uses": 1}]));
        let trail = get(&app, &client, &format!("/cases/{id}/audit")).await;
        assert!(trail.to_string().contains("case.tagged"), "{trail}");

        let (status, problem) =
            put(format!("/cases/{id}/tags"), json!({"tags": ["ok", "<b>"]})).await;
        assert_eq!((status, &problem["field"]), (422, &json!("tags[1]")));
        let (status, _) = put("/cases/999999/tags".to_owned(), json!({"tags": ["x"]})).await;
        assert_eq!(status, 404);
        let (status, cleared) = put(format!("/cases/{id}/tags"), json!({"tags": []})).await;
        assert_eq!((status, cleared), (200, json!({"tags": []})));
        assert!(case_ids(&get(&app, &client, "/search?q=tag:refund").await).is_empty());
    }
}
