//! A customer's erasure on both backends: every text column, the raw mail, attachments and the
//! search indexes searched for words only the customer wrote or was called, and none found;
//! the desk's figures the same before and after.

use amends_core::AgentRole;
use serde_json::{json, Value};
use sqlx::{AnyConnection, Connection};

use crate::helpers::{get, post, post_mail, TestApp};

const MARK: &str = "zqxmark";

/// Rows, per table and column, holding `MARK` anywhere in the database.
async fn traces(url: &str) -> Vec<String> {
    let mut conn = AnyConnection::connect(url).await.unwrap();
    let mut found = Vec::new();
    if url.starts_with("sqlite:") {
        let tables: Vec<String> =
            sqlx::query_scalar("select name from sqlite_master where type = 'table'")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        for table in tables {
            let columns: Vec<String> =
                sqlx::query_scalar(&format!("select name from pragma_table_info('{table}')"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            for column in columns {
                let sql = format!(
                    "select count(*) from \"{table}\" where instr(lower(cast(\"{column}\" as text)), '{MARK}') > 0"
                );
                let rows: i64 = sqlx::query_scalar(&sql).fetch_one(&mut conn).await.unwrap();
                if rows > 0 {
                    found.push(format!("{table}.{column}: {rows}"));
                }
            }
        }
    } else {
        let tables: Vec<String> = sqlx::query_scalar(
            "select tablename::text from pg_tables where schemaname = current_schema()",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        for table in tables {
            let sql = format!(
                "select count(*) from {table} t where position('{MARK}' in lower(t::text)) > 0"
            );
            let rows: i64 = sqlx::query_scalar(&sql).fetch_one(&mut conn).await.unwrap();
            if rows > 0 {
                found.push(format!("{table}: {rows}"));
            }
        }
        let blobs: Vec<(String, String)> = sqlx::query_as(
            "select table_name::text, column_name::text from information_schema.columns \
             where table_schema = current_schema() and data_type = 'bytea'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        for (table, column) in blobs {
            let sql = format!(
                "select count(*) from {table} where position(convert_to('{MARK}', 'UTF8') in {column}) > 0"
            );
            let rows: i64 = sqlx::query_scalar(&sql).fetch_one(&mut conn).await.unwrap();
            if rows > 0 {
                found.push(format!("{table}.{column}: {rows}"));
            }
        }
    }
    conn.close().await.unwrap();
    found
}

/// A customer who wrote in every way the desk keeps: a record with a phone, a mail with an
/// attachment, facts, an expectation, compensation, a reply and a note, a reminder, a custom
/// field. Answers the customer's and the case's ids.
async fn a_customer_everywhere(app: &TestApp, admin: &reqwest::Client) -> (i64, i64) {
    let (status, customer) = post(
        app,
        admin,
        "/customers",
        json!({"name": "Zqxmark Customer", "emails": ["zqxmark@example.com"],
               "phones": ["+44 7700 900123"], "social_handles": ["twitter:zqxmark"],
               "notes": "prefers zqxmark calls", "plan": "zqxmark gold"}),
    )
    .await;
    assert_eq!(status, 201, "{customer}");
    let customer_id = customer["id"].as_i64().unwrap();
    let raw = "From: Zqxmark Customer <zqxmark@example.com>\r\nTo: help@desk.test\r\n\
               Subject: my zqxmark order is broken\r\nMessage-ID: <zqxmark-1@example.com>\r\n\
               MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
               --b\r\nContent-Type: text/plain\r\n\r\nThe zqxmark order arrived broken. I am furious.\r\n\
               --b\r\nContent-Type: text/plain; name=\"zqxmark.txt\"\r\n\
               Content-Disposition: attachment; filename=\"zqxmark.txt\"\r\n\r\nreceipt zqxmark 42\r\n--b--\r\n";
    let (status, filed) = post_mail(app, admin, raw.as_bytes()).await;
    assert_eq!(
        (status, filed["outcome"].as_str()),
        (202, Some("filed")),
        "{filed}"
    );
    let case_id = filed["case_id"].as_i64().unwrap();
    let case = get(app, admin, &format!("/cases/{case_id}")).await;
    assert_eq!(
        case["customer_id"], customer_id,
        "the mail lands on the customer"
    );
    // HTML nested too deep to sanitise: filed, and its raw bytes kept beside the message.
    let deep = format!(
        "From: zqxmark@example.com\r\nTo: help@desk.test\r\nSubject: zqxmark again\r\n\
         In-Reply-To: <zqxmark-1@example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html\r\n\r\n{}zqxmark still broken{}\r\n",
        "<div>".repeat(300),
        "</div>".repeat(300)
    );
    let (status, filed) = post_mail(app, admin, deep.as_bytes()).await;
    assert_eq!(
        (status, filed["outcome"].as_str()),
        (202, Some("filed")),
        "{filed}"
    );
    for (path, body) in [
        (
            "facts",
            json!({"text": "zqxmark order 1234 arrived broken"}),
        ),
        (
            "compensation",
            json!({"kind": "refund", "amount_minor": 500, "reason": "zqxmark refund"}),
        ),
        (
            "messages",
            json!({"direction": "outbound", "body": "Dear Zqxmark Customer, we are sorry."}),
        ),
        (
            "messages",
            json!({"direction": "note", "body": "zqxmark sounded upset"}),
        ),
        (
            "reminders",
            json!({"at": "2026-11-23T09:00:00Z", "note": "call zqxmark back"}),
        ),
    ] {
        let (status, answer) = post(app, admin, &format!("/cases/{case_id}/{path}"), body).await;
        assert!(status == 201 || status == 200, "{path}: {status} {answer}");
    }
    let expectation = admin
        .put(app.api(&format!("/cases/{case_id}/expectation")))
        .json(&json!({"kind": "refund", "words": "zqxmark money back"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expectation.status(),
        200,
        "{}",
        expectation.text().await.unwrap()
    );
    let (status, _) = post(
        app,
        admin,
        "/custom-fields",
        json!({"key": "nickname", "label": "Nickname", "on": "customer", "kind": "text"}),
    )
    .await;
    assert_eq!(status, 201);
    let set = admin
        .put(app.api(&format!("/customers/{customer_id}/fields")))
        .json(&json!({"fields": {"nickname": "zqxmark nick"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    (customer_id, case_id)
}

#[tokio::test]
async fn an_erased_customer_leaves_no_trace_and_the_figures_stay_the_same() {
    for app in TestApp::each().await {
        let admin = app.token_client(AgentRole::Admin).await;
        let (customer_id, case_id) = a_customer_everywhere(&app, &admin).await;
        let before_traces = traces(app.database_url()).await;
        assert!(
            before_traces.len() >= 10,
            "the scan sees the customer first: {before_traces:?}"
        );
        let figures = get(&app, &admin, "/stats").await;
        let customer = get(&app, &admin, &format!("/customers/{customer_id}")).await;
        let cases = customer["cases"].as_array().unwrap().len();
        let case_before = get(&app, &admin, &format!("/cases/{case_id}")).await;

        // Only an admin may erase.
        let agent = app.token_client(AgentRole::Supervisor).await;
        let (status, _) = post(
            &app,
            &agent,
            &format!("/customers/{customer_id}/erasure"),
            json!(null),
        )
        .await;
        assert_eq!(status, 403);
        let (status, erased) = post(
            &app,
            &admin,
            &format!("/customers/{customer_id}/erasure"),
            json!(null),
        )
        .await;
        assert_eq!(status, 200, "{erased}");
        assert_eq!(erased["cases"], cases);
        assert!(erased["messages"].as_i64().unwrap() >= 4, "{erased}");
        assert_eq!(erased["mails"], 2);
        assert_eq!(erased["attachments"], 1);

        let left = traces(app.database_url()).await;
        assert!(
            left.is_empty(),
            "{}: traces left: {left:?}",
            app.database_url()
        );
        assert_eq!(
            get(&app, &admin, "/stats").await,
            figures,
            "the figures do not change"
        );
        let case_after = get(&app, &admin, &format!("/cases/{case_id}")).await;
        assert_eq!(
            case_after["messages"].as_array().unwrap().len(),
            case_before["messages"].as_array().unwrap().len()
        );
        assert_eq!(case_after["status"], case_before["status"]);
        let found = get(&app, &admin, &format!("/search?q={MARK}")).await;
        assert_eq!(found["total"], 0, "{found}");
        let customer = get(&app, &admin, &format!("/customers/{customer_id}")).await;
        assert_eq!(customer["name"], "Erased customer");
        assert_eq!(customer["emails"], json!([]));
        let trail = get(&app, &admin, &format!("/cases/{case_id}/audit")).await;
        assert!(!trail.as_array().unwrap().is_empty(), "who did what stays");
        // A mail from the same address later is a new customer, not the erased one.
        let raw =
            "From: someone@example.org\r\nTo: help@desk.test\r\nSubject: hello\r\n\r\nHello.\r\n";
        let (status, filed) = post_mail(&app, &admin, raw.as_bytes()).await;
        assert_eq!(status, 202, "{filed}");
    }
}

/// The ZIP's files by name.
fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().to_owned(), content)
        })
        .collect()
}

fn rows(files: &std::collections::BTreeMap<String, Vec<u8>>, table: &str) -> Vec<Value> {
    let data = files
        .get(&format!("data/{table}.json"))
        .unwrap_or_else(|| panic!("data/{table}.json is missing"));
    serde_json::from_slice::<Vec<Value>>(data).unwrap()
}

#[tokio::test]
async fn an_export_holds_every_record_of_the_customer_and_their_files() {
    for app in TestApp::each().await {
        let admin = app.token_client(AgentRole::Admin).await;
        let (customer_id, case_id) = a_customer_everywhere(&app, &admin).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let refused = agent
            .get(app.api(&format!("/customers/{customer_id}/export")))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403);
        let response = admin
            .get(app.api(&format!("/customers/{customer_id}/export")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/zip");
        let length: usize = response.headers()["content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let bytes = response.bytes().await.unwrap();
        assert_eq!(
            bytes.len(),
            length,
            "the size is sent ahead, for the download's progress"
        );
        let files = unzip(&bytes);
        assert!(files.contains_key("README.txt"));

        let customer = rows(&files, "customers");
        assert_eq!(customer.len(), 1);
        assert_eq!(customer[0]["name"], "Zqxmark Customer");
        assert_eq!(customer[0]["notes"], "prefers zqxmark calls");
        let contacts = rows(&files, "customer_contacts");
        assert_eq!(contacts.len(), 3, "email, phone and handle: {contacts:?}");
        // Every message the case shows, with its text.
        let case = get(&app, &admin, &format!("/cases/{case_id}")).await;
        let shown: Vec<(i64, String)> = case["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["id"].as_i64().unwrap(),
                    m["body"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut exported: Vec<(i64, String)> = rows(&files, "messages")
            .iter()
            .map(|m| {
                (
                    m["id"].as_i64().unwrap(),
                    m["body"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        exported.sort();
        let mut shown_sorted = shown.clone();
        shown_sorted.sort();
        assert_eq!(exported, shown_sorted);
        for (table, count) in [
            ("facts", 1),
            ("compensation", 1),
            ("custom_values", 1),
            ("attachments", 1),
            ("inbound_mails", 2),
        ] {
            assert_eq!(rows(&files, table).len(), count, "{table}");
        }
        assert!(
            !rows(&files, "notices").is_empty(),
            "the reply mailed to them"
        );
        assert!(rows(&files, "audit_events").len() >= 6);
        // The raw mail and the attachment as files the rows name.
        let attachment = &rows(&files, "attachments")[0];
        let file = attachment["content"]["file"].as_str().unwrap();
        assert_eq!(files[file], b"receipt zqxmark 42");
        let mails = rows(&files, "inbound_mails");
        let kept = mails
            .iter()
            .find(|m| m["raw"].is_object())
            .expect("the mail kept whole");
        let eml = kept["raw"]["file"].as_str().unwrap();
        assert!(eml.ends_with(".eml"));
        assert!(String::from_utf8_lossy(&files[eml]).contains("Subject: zqxmark again"));
        // The export itself is in the audit trail.
        let again = admin
            .get(app.api(&format!("/customers/{customer_id}/export")))
            .send()
            .await
            .unwrap();
        let trail = rows(&unzip(&again.bytes().await.unwrap()), "audit_events");
        assert!(trail.iter().any(|e| e["action"] == "customer.exported"));
        // Every table that holds rows of a case or a customer is in the export, but for who of
        // the staff is looking at a case now.
        if app.database_url().starts_with("sqlite:") {
            let mut conn = AnyConnection::connect(app.database_url()).await.unwrap();
            let tables: Vec<String> = sqlx::query_scalar(
                "select distinct m.name from sqlite_master m, pragma_table_info(m.name) c \
                 where m.type = 'table' and c.name in ('case_id', 'customer_id')",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            conn.close().await.unwrap();
            for table in tables.iter().filter(|t| *t != "case_presence") {
                assert!(
                    files.contains_key(&format!("data/{table}.json")),
                    "{table} is not exported"
                );
            }
        }
        // An unknown customer: 404.
        let missing = admin
            .get(app.api("/customers/999999/export"))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
    }
}

#[tokio::test]
async fn the_retention_rule_erases_the_content_of_cases_closed_long_ago_and_nothing_else() {
    for app in TestApp::each().await {
        let admin = app.token_client(AgentRole::Admin).await;
        let mut cases = Vec::new();
        for n in 0..3 {
            let (status, case) = post(
                &app,
                &admin,
                "/cases",
                json!({"customer": {"name": format!("Kept {n}"), "email": format!("kept{n}@example.com")},
                       "channel": "email", "subject": format!("{MARK} subject {n}"),
                       "body": format!("{MARK} body {n}")}),
            )
            .await;
            assert_eq!(status, 201, "{case}");
            cases.push(case["id"].as_i64().unwrap());
        }
        for id in &cases[..2] {
            for status in ["resolved", "closed"] {
                let changed = admin
                    .patch(app.api(&format!("/cases/{id}")))
                    .json(&json!({"status": status}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(changed.status(), 200);
            }
        }
        let range = "/stats?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";
        let figures = get(&app, &admin, range).await;
        // Eleven months on, a twelve-month rule erases nothing; thirteen months on, it does.
        app.clock.advance(335 * 86_400_000);
        let set = admin
            .put(app.api("/settings/retention"))
            .json(&json!({"months": 12}))
            .send()
            .await
            .unwrap();
        assert_eq!(set.status(), 200);
        app.run_due_jobs().await;
        let kept = get(&app, &admin, &format!("/cases/{}", cases[0])).await;
        assert_eq!(kept["messages"][0]["body"], format!("{MARK} body 0"));
        app.clock.advance(60 * 86_400_000);
        app.run_due_jobs().await;
        for (n, id) in cases.iter().enumerate() {
            let case = get(&app, &admin, &format!("/cases/{id}")).await;
            let body = case["messages"][0]["body"].as_str().unwrap();
            if n < 2 {
                assert_eq!(body, "", "case {n} closed thirteen months ago");
                assert_eq!(case["subject"], "");
            } else {
                assert_eq!(
                    body,
                    format!("{MARK} body {n}"),
                    "the open case keeps its words"
                );
            }
        }
        assert_eq!(
            get(&app, &admin, range).await,
            figures,
            "the figures do not change"
        );
        let customer = get(&app, &admin, "/customers?q=kept0").await;
        assert_eq!(
            customer["items"].as_array().unwrap().len(),
            1,
            "the customer stays on file"
        );
        let found = get(&app, &admin, &format!("/search?q={MARK}")).await;
        assert_eq!(found["total"], 1, "{found}");
        let trail = get(&app, &admin, &format!("/cases/{}/audit", cases[0])).await;
        assert!(trail
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "case.content_erased"));
        // The sweep comes back daily; a bad rule is refused.
        let jobs = get(&app, &admin, "/jobs?status=pending").await;
        assert!(jobs.to_string().contains("retention.sweep"), "{jobs}");
        let bad = admin
            .put(app.api("/settings/retention"))
            .json(&json!({"months": 0}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
    }
}
