//! The console's pages over plain HTTP, on both backends: who may see what, the headers that
//! keep customer text inert, the queue's filters, and the coaching endpoint the composer uses.

use amends_core::AgentRole;
use amends_server::Clock;
use serde_json::{json, Value};

use crate::helpers::{complaint, get, post, TestApp};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn pages_send_strangers_to_sign_in_and_back_and_refuse_a_wrong_password() {
    for app in TestApp::each().await {
        let client = no_redirects();
        let response = client
            .get(format!("{}/cases/7?x=1", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        assert_eq!(
            response.headers()["location"],
            "/signin?next=%2Fcases%2F7%3Fx%3D1"
        );

        let wrong = client
            .post(format!("{}/signin", app.url))
            .form(&[
                ("email", "admin@desk.test"),
                ("password", "nope nope nope"),
                ("next", "/queue"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
        assert!(wrong.headers().get("set-cookie").is_none());
        assert!(wrong
            .text()
            .await
            .unwrap()
            .contains("wrong email or password"));

        // After signing in, the browser goes back where it was going, but never off the desk.
        for (next, to) in [
            ("/queue?flag=angry", "/queue?flag=angry"),
            ("//evil.example/", "/queue"),
        ] {
            let signed = client
                .post(format!("{}/signin", app.url))
                .form(&[
                    ("email", "admin@desk.test"),
                    ("password", crate::helpers::PASSWORD),
                    ("next", next),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(signed.status(), 303);
            assert_eq!(signed.headers()["location"], to);
        }
        let queue = client
            .get(format!("{}/queue", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(queue.status(), 200);

        // A sign-in posted from another site is refused.
        let forged = reqwest::Client::new()
            .post(format!("{}/signin", app.url))
            .header("sec-fetch-site", "cross-site")
            .form(&[
                ("email", "admin@desk.test"),
                ("password", crate::helpers::PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
    }
}

#[tokio::test]
async fn customer_words_are_escaped_under_a_policy_that_forbids_inline_script() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let id = complaint(
            &app,
            &agent,
            "Mal <i>Icious</i>",
            "A complaint",
            "<script>alert(1)</script> and \"quotes\" & <b>tags</b>",
            "normal",
        )
        .await;
        for path in [
            format!("/cases/{id}"),
            format!("/cases/{id}/call"),
            "/queue".to_owned(),
        ] {
            let response = agent
                .get(format!("{}{path}", app.url))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
            let csp = response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
                "{csp}"
            );
            let html = response.text().await.unwrap();
            assert!(
                !html.contains("<script>alert"),
                "{path}: customer markup is escaped"
            );
            assert!(!html.contains("<i>Icious"), "{path}");
            assert!(html.contains("Mal &lt;i&gt;Icious&lt;/i&gt;"), "{path}");
            assert_eq!(
                html.matches("<script").count(),
                1,
                "{path}: only the console's own script"
            );
        }
    }
}

#[tokio::test]
async fn the_supervisor_pages_are_for_supervisors() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        for path in ["/supervisor", "/mail"] {
            let refused = agent
                .get(format!("{}{path}", app.url))
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), 403, "{path}");
            let shown = supervisor
                .get(format!("{}{path}", app.url))
                .send()
                .await
                .unwrap();
            assert_eq!(shown.status(), 200, "{path}");
        }
        let missing = agent
            .get(format!("{}/cases/999999", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
    }
}

#[tokio::test]
async fn the_queue_narrows_to_mine_unassigned_channel_status_and_flag() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let calm = complaint(
            &app,
            &agent,
            "Cal",
            "A complaint",
            "Could you tell me when my order ships?",
            "low",
        )
        .await;
        let angry = complaint(
            &app,
            &agent,
            "Ang",
            "A complaint",
            "This is absolutely unacceptable, I am furious and I'm cancelling!",
            "normal",
        )
        .await;
        let ids = |page: &Value| -> Vec<i64> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap())
                .collect()
        };
        assert_eq!(
            ids(&get(&app, &agent, "/queue?flag=churn_threat").await),
            vec![angry]
        );
        assert_eq!(
            ids(&get(&app, &agent, "/queue?flag=angry").await),
            vec![angry]
        );
        assert_eq!(
            ids(&get(&app, &agent, "/queue?channel=email&status=new").await).len(),
            2
        );
        assert!(ids(&get(&app, &agent, "/queue?channel=phone").await).is_empty());
        assert_eq!(ids(&get(&app, &agent, "/queue?owner=none").await).len(), 2);
        assert!(ids(&get(&app, &agent, "/queue?owner=me").await).is_empty());
        let bad = agent.get(app.api("/queue?flag=sad")).send().await.unwrap();
        crate::helpers::assert_problem(bad, 422, Some("flag")).await;
        let closed = agent
            .get(app.api("/queue?status=resolved"))
            .send()
            .await
            .unwrap();
        crate::helpers::assert_problem(closed, 422, Some("status")).await;

        // The console's rows endpoint honours the same filters.
        let rows = agent
            .get(format!("{}/queue/rows?flag=churn_threat", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            rows.contains(&format!("data-case-id=\"{angry}\"")),
            "{rows}"
        );
        assert!(
            !rows.contains(&format!("data-case-id=\"{calm}\"")),
            "{rows}"
        );
        assert!(rows.contains("threatens to leave"));
        // Signed out, the rows answer 401 for the script to act on, not a sign-in page.
        let signed_out = reqwest::get(format!("{}/queue/rows", app.url))
            .await
            .unwrap();
        assert_eq!(signed_out.status(), 401);
    }
}

#[tokio::test]
async fn coaching_a_draft_gives_spans_a_browser_can_use() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let id = complaint(
            &app,
            &agent,
            "Zoë Åberg",
            "A complaint",
            "I am furious, the order is late again!",
            "normal",
        )
        .await;
        // Emoji and accents before the finding: byte and UTF-16 offsets differ.
        let text = "Zoë 😊, this will never happen again.";
        let (status, coaching) =
            post(&app, &agent, "/coach", json!({"text": text, "case_id": id})).await;
        assert_eq!(status, 200, "{coaching}");
        let finding = coaching["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kind"] == "forbidden_promise")
            .unwrap_or_else(|| panic!("{coaching}"));
        let (start, end) = (
            usize::try_from(finding["start"].as_u64().unwrap()).unwrap(),
            usize::try_from(finding["end"].as_u64().unwrap()).unwrap(),
        );
        let (from, to) = (
            usize::try_from(finding["from"].as_u64().unwrap()).unwrap(),
            usize::try_from(finding["to"].as_u64().unwrap()).unwrap(),
        );
        let utf16: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(
            String::from_utf16(&utf16[from..to]).unwrap(),
            text[start..end]
        );
        assert!(text[start..end].contains("never happen again"));
        assert!(coaching["score"].as_u64().unwrap() <= 100);

        // Longer than any reply: refused (by the body limit here, 64 KiB in tests; by the
        // draft limit behind a larger one).
        let (status, _) = post(&app, &agent, "/coach", json!({"text": "x".repeat(70_000)})).await;
        assert!(status == 413 || status == 422, "{status}");
        let (status, _) = post(
            &app,
            &agent,
            "/coach",
            json!({"text": "hi", "case_id": 424242}),
        )
        .await;
        assert_eq!(status, 404);
    }
}

#[tokio::test]
async fn an_agent_reads_what_the_desk_told_them_on_the_notifications_page() {
    for app in TestApp::each().await {
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let id = complaint(
            &app,
            &agent,
            "Pat",
            "Call me back",
            "Nobody called me back.",
            "normal",
        )
        .await;
        let due = app.clock.now().plus_millis(3_600_000).to_rfc3339();
        let (status, promise) = post(
            &app,
            &agent,
            &format!("/cases/{id}/promises"),
            json!({"kind": "call_back", "description": "Call Pat back", "due_at": due}),
        )
        .await;
        assert_eq!(status, 201, "{promise}");
        let empty = supervisor
            .get(format!("{}/notifications", app.url))
            .send()
            .await
            .unwrap();
        assert!(empty
            .text()
            .await
            .unwrap()
            .contains("Nothing for you right now."));

        app.clock.advance(2 * 3_600_000);
        app.run_due_jobs().await;
        let page = supervisor
            .get(format!("{}/notifications", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(&format!("href=\"/cases/{id}\"")), "{page}");
        assert!(!page.contains("Nothing for you right now."), "{page}");
    }
}
