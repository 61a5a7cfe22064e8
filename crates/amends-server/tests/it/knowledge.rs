//! The knowledge base through the API and the public help centre, on every backend: agents
//! draft, supervisors publish, the help centre shows only published public articles (their
//! Markdown made safe), finds them by a reader's words with slips forgiven, and takes votes
//! that reach the article's owner.

use amends_core::AgentRole;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, call, TestApp};

fn article(title: &str, body: &str, status: &str, audience: &str) -> Value {
    json!({"title": title, "body": body, "category": "Billing", "tags": ["money"],
        "status": status, "audience": audience})
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(2))
        .build()
        .unwrap()
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status == 200 {
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
    }
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn agents_write_supervisors_publish_and_readers_find_and_vote() {
    for app in TestApp::each().await {
        let agent_id = app.add_agent("writer@desk.test", AgentRole::Agent).await;
        let chief_id = app
            .add_agent("chief@desk.test", AgentRole::Supervisor)
            .await;
        let writer = app.sign_in("writer@desk.test").await;
        let chief = app.sign_in("chief@desk.test").await;

        // An agent drafts; publishing is for a supervisor.
        let body = "Refunds reach your card in **5 to 10** working days.\n\n\
                    <script>alert(1)</script> [terms](javascript:alert(1))";
        let response = writer
            .post(
                &app,
                "/articles",
                &article("How refunds work", body, "draft", "public"),
            )
            .await;
        assert_eq!(response.status(), 201);
        let draft: Value = response.json().await.unwrap();
        let id = draft["id"].as_i64().unwrap();
        assert_eq!(draft["public_url"], Value::Null);
        let mut publish = article("How refunds work", body, "published", "public");
        publish["owner_id"] = json!(agent_id);
        publish["revision"] = json!(1);
        let put = |console: &crate::helpers::Console, body: &Value| {
            console
                .client
                .put(app.api(&format!("/articles/{id}")))
                .header("x-csrf-token", &console.csrf)
                .json(body)
                .send()
        };
        assert_problem(put(&writer, &publish).await.unwrap(), 422, Some("status")).await;
        assert_eq!(page(&app, &format!("/help/articles/{id}")).await.0, 404);
        let published: Value = put(&chief, &publish).await.unwrap().json().await.unwrap();
        assert_eq!(published["revision"], 2);
        assert_eq!(published["status"], "published");
        // A save from the revision before is refused, not lost.
        assert_problem(put(&chief, &publish).await.unwrap(), 409, Some("revision")).await;
        let revisions = chief.get(&app, &format!("/articles/{id}/revisions")).await;
        assert_eq!(revisions.as_array().unwrap().len(), 2);
        assert_eq!(revisions[0]["agent_id"], chief_id);

        // The help centre shows it, its Markdown rendered and nothing of the author's run.
        let url = published["public_url"].as_str().unwrap().to_owned();
        let (status, html) = page(&app, &format!("/help/articles/{id}")).await;
        assert_eq!(status, 200, "the bare id finds the article's address");
        assert!(html.contains("<strong>5 to 10</strong>"), "{html}");
        assert!(
            !html.contains("<script>") && !html.contains("href=\"javascript"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"), "{html}");
        let (_, front) = page(&app, "/help").await;
        assert!(front.contains(&url) && front.contains("Billing"), "{front}");

        // Internal articles and drafts stay out of it; agents find internal ones.
        let internal = article(
            "Refund approvals",
            "Refunds above 50 need a supervisor.",
            "published",
            "internal",
        );
        let internal: Value = chief
            .post(&app, "/articles", &internal)
            .await
            .json()
            .await
            .unwrap();
        let internal_id = internal["id"].as_i64().unwrap();
        assert_eq!(
            page(&app, &format!("/help/articles/{internal_id}")).await.0,
            404
        );
        let (_, results) = page(&app, "/help/search?q=refnds").await;
        assert!(results.contains(&url), "a slip is forgiven: {results}");
        assert!(!results.contains("Refund approvals"), "{results}");
        let hits = writer
            .get(&app, "/articles/search?q=refund%20approval")
            .await;
        assert_eq!(hits[0]["id"], internal_id, "{hits}");
        let (_, odd) = page(&app, "/help/search?q=%22%27%20OR%20zz%3Dzz%20--%20%3Cb%3E").await;
        assert!(
            odd.contains("No article matches") && odd.contains("&lt;b&gt;"),
            "{odd}"
        );

        // A vote that it did not help, with a comment, reaches the owner.
        let client = reqwest::Client::new();
        let voted = client
            .post(format!("{}{url}/feedback", app.url))
            .form(&[("helpful", "no"), ("comment", "Say which card")])
            .send()
            .await
            .unwrap();
        assert_eq!(voted.status(), 200);
        let bad = client
            .post(format!("{}{url}/feedback", app.url))
            .form(&[("helpful", "maybe")])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        let counted = writer.get(&app, &format!("/articles/{id}")).await;
        assert_eq!(
            (counted["helpful"].clone(), counted["unhelpful"].clone()),
            (json!(0), json!(1))
        );
        let told = writer.get(&app, "/notifications").await;
        assert!(told.to_string().contains("Say which card"), "{told}");
        let feedback = writer.get(&app, &format!("/articles/{id}/feedback")).await;
        assert_eq!(feedback[0]["comment"], "Say which card");

        // Reviewed: the date is kept.
        let reviewed: Value = chief
            .post(&app, &format!("/articles/{id}/reviewed"), &json!(null))
            .await
            .json()
            .await
            .unwrap();
        assert!(reviewed["reviewed_at"].is_string(), "{reviewed}");
    }
}

#[tokio::test]
async fn bad_articles_are_refused_and_change_nothing() {
    let app = TestApp::spawn(amends_store::testing::TestDatabase::sqlite()).await;
    let admin = app.admin().await;
    for (body, field) in [
        (json!({"title": "", "body": "x"}), "title"),
        (json!({"title": "x", "body": "x".repeat(100_001)}), "body"),
        (
            json!({"title": "x", "body": "x", "status": "live"}),
            "status",
        ),
        (
            json!({"title": "x", "body": "x", "audience": "world"}),
            "audience",
        ),
        (
            json!({"title": "x", "body": "x", "tags": ["no,commas"]}),
            "tags",
        ),
    ] {
        let response = admin.post(&app, "/articles", &body).await;
        let status = response.status().as_u16();
        if status == 413 {
            continue;
        }
        assert_problem(response, 422, Some(field)).await;
    }
    assert_eq!(admin.get(&app, "/articles").await, json!([]));
    let long = "word ".repeat(300);
    let (status, _) = call(
        &admin.client,
        Method::GET,
        app.api(&format!("/articles/search?q={long}")),
        None,
    )
    .await;
    assert_eq!(status, 422, "a query over 1,000 characters");
}

/// The notices of kind `articles_suggested` on case `id`.
async fn acknowledgements(app: &TestApp, client: &reqwest::Client, id: &Value) -> Vec<Value> {
    let all = crate::helpers::get(app, client, &format!("/notices?case_id={id}")).await;
    all.as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "articles_suggested")
        .cloned()
        .collect()
}

async fn question(
    app: &TestApp,
    client: &reqwest::Client,
    who: &str,
    channel: &str,
    body: &str,
) -> Value {
    let (status, case) = crate::helpers::post(
        app,
        client,
        "/cases",
        json!({"customer": {"name": who, "email": format!("{}@example.com", who.to_lowercase())},
            "channel": channel, "subject": "My parcel", "body": body}),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    if case["case"]["id"].is_null() {
        case["id"].clone()
    } else {
        case["case"]["id"].clone()
    }
}

#[tokio::test]
async fn a_calm_question_is_acknowledged_with_articles_and_an_upset_customer_never_is() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let client = app.token_client(AgentRole::Agent).await;
        let published = admin
            .post(
                &app,
                "/articles",
                &json!({"title": "Tracking your parcel", "status": "published",
                    "body": "Every parcel ships with a tracking number, sent in your dispatch email. \
                             Enter the tracking number on the courier's site to see where it is."}),
            )
            .await;
        assert_eq!(published.status(), 201);
        let calm = "Hello, where can I find the tracking number for my parcel? Thanks!";

        // Off until an admin turns it on.
        let before = question(&app, &client, "Ada", "email", calm).await;
        assert!(acknowledgements(&app, &client, &before).await.is_empty());
        let response = admin
            .client
            .put(app.api("/settings/acknowledgement"))
            .header("x-csrf-token", &admin.csrf)
            .json(&json!({"articles": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);

        let asked = question(&app, &client, "Bea", "web_form", calm).await;
        let sent = acknowledgements(&app, &client, &asked).await;
        assert_eq!(sent.len(), 1, "a calm question is acknowledged");
        let body = sent[0]["body"].as_str().unwrap();
        assert!(
            body.contains("Tracking your parcel") && body.contains("/help/articles/"),
            "{body}"
        );
        assert!(body.contains("A person will read your message"), "{body}");

        for (who, upset) in [
            ("Cy", "This is ridiculous. My parcel is late AGAIN and nobody answers. Worst service ever, I am furious!"),
            ("Di", "Where is my parcel? If it is not here tomorrow I am cancelling my account and going to your competitor."),
        ] {
            let case = question(&app, &client, who, "email", upset).await;
            assert!(acknowledgements(&app, &client, &case).await.is_empty(), "{upset}");
        }
        // A question no article answers well gets nothing either.
        let unanswered = question(
            &app,
            &client,
            "Ed",
            "email",
            "Do you sell gift vouchers for birthdays?",
        )
        .await;
        assert!(acknowledgements(&app, &client, &unanswered)
            .await
            .is_empty());
        // It is a gap in the knowledge base (by its subject); the answered question and the
        // upset ones are not.
        let gaps = crate::helpers::get(&app, &client, "/articles/gaps").await;
        assert_eq!(gaps.as_array().unwrap().len(), 1, "{gaps}");
        assert_eq!(
            (gaps[0]["topic"].as_str(), gaps[0]["asked"].as_i64()),
            (Some("parcel"), Some(1))
        );
    }
}
