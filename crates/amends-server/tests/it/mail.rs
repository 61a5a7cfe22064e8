//! Email for real: notices go out through an SMTP server on loopback (aiosmtpd) and replies
//! come back from an IMAP server on loopback (dovecot); mail is also posted over HTTP. Both
//! backends. The servers are installed by scripts/test; under CI=true a missing one fails.

use std::time::Duration;

use amends_core::AgentRole;
use amends_mail::testing::{free_port, Dovecot, SmtpCapture};
use amends_mail::{read_mail, Limits, Mailbox, MailboxUrl, Mailer};
use amends_server::mailroom::MailSettings;
use amends_server::{Clock, ServerSettings};
use amends_store::testing::TestDatabase;
use serde_json::json;

use crate::helpers::{get, post, post_mail, TestApp};

const MINUTE: i64 = 60_000;

fn settings(relay: Option<&str>) -> ServerSettings {
    ServerSettings {
        mail: MailSettings {
            from: "Customer care <care@shop.example>".to_owned(),
            relay: relay.map(|url| Mailer::from_url(url, Duration::from_secs(10)).unwrap()),
            ..MailSettings::default()
        },
        ..ServerSettings::default()
    }
}

async fn apps(relay: Option<&str>) -> Vec<TestApp> {
    let mut apps = Vec::new();
    for database in TestDatabase::each().await {
        apps.push(TestApp::spawn_with(database, settings(relay)).await);
    }
    apps
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.lines()
        .find(|l| {
            l.len() > name.len()
                && l[..name.len()].eq_ignore_ascii_case(name)
                && l[name.len()..].starts_with(':')
        })
        .map(|l| l[name.len() + 1..].trim())
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../amends-mail/tests/corpus/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The agent sends a summary; it goes out by SMTP with threading headers; the customer's reply
/// placed in the IMAP mailbox lands in the same case, once, however often it is fetched; an
/// auto-reply opens nothing.
#[tokio::test]
async fn a_summary_goes_out_by_smtp_and_the_reply_comes_back_into_its_case() {
    let Some(smtp) = SmtpCapture::start() else {
        return;
    };
    let Some(imap) = Dovecot::start() else { return };
    for app in apps(Some(&smtp.url())).await {
        let before = smtp.received().len();
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Lou Reed", "lou@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        let (status, _) = post(
            &app,
            &agent,
            &format!("/cases/{id}/summary"),
            json!({"body": "Dear Lou,\n\nYou told us the order came two weeks late.\n\nKind regards"}),
        )
        .await;
        assert_eq!(status, 201);
        let outcome = app.run_due_jobs().await;
        assert_eq!(outcome.done, 1, "{outcome:?}");

        let received = smtp.received();
        assert_eq!(received.len(), before + 1, "one mail went out");
        let mail = &received[before];
        assert_eq!(mail.to, ["lou@example.com"]);
        assert_eq!(mail.from, "care@shop.example");
        let text = String::from_utf8_lossy(&mail.raw).into_owned();
        let subject = header(&text, "Subject").unwrap();
        assert!(subject.ends_with(&format!("[Case #{id}]")), "{subject}");
        assert!(header(&text, "Content-Type")
            .unwrap()
            .starts_with("multipart/alternative"));
        assert_eq!(header(&text, "Auto-Submitted"), Some("auto-generated"));
        let parsed = read_mail(&mail.raw, &Limits::default()).unwrap();
        let message_id = parsed.message_id.clone().unwrap();
        assert!(parsed.text.contains("two weeks late"));
        assert!(parsed.html.unwrap().contains("two weeks late"));
        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        assert_eq!(notices[0]["status"], "sent");
        assert_eq!(notices[0]["message_id"], message_id.as_str());

        // The customer answers; their mail program threads by In-Reply-To and References.
        let reply = format!(
            "From: Lou Reed <lou@example.com>\r\nTo: care@shop.example\r\n\
             Subject: Re: {subject}\r\nMessage-ID: <reply-{id}@example.com>\r\n\
             In-Reply-To: <{message_id}>\r\nReferences: <{message_id}>\r\n\r\n\
             Yes, that is right. Thanks.\r\n\r\nOn Mon, care wrote:\r\n> You told us\r\n"
        );
        let url = MailboxUrl::parse(&imap.url()).unwrap();
        let mut mailbox = Mailbox::open(&url).await.unwrap();
        mailbox.append(reply.as_bytes()).await.unwrap();
        let round = amends_server::mailroom::take_in_unseen(&app.state, &mut mailbox, "imap-test")
            .await
            .unwrap();
        assert_eq!(round.taken, 1);
        let detail = get(&app, &agent, &format!("/cases/{id}")).await;
        let messages = detail["messages"].as_array().unwrap();
        let last = messages.last().unwrap();
        assert_eq!(last["direction"], "inbound");
        assert_eq!(last["channel"], "email");
        assert!(last["body"]
            .as_str()
            .unwrap()
            .starts_with("Yes, that is right."));
        let count = messages.len();

        // Fetched again (a second copy, and a copy re-delivered with another header): one
        // message. The mailbox is left with nothing unseen.
        mailbox.append(reply.as_bytes()).await.unwrap();
        let redelivered = format!("Received: from relay2\r\n{reply}");
        mailbox.append(redelivered.as_bytes()).await.unwrap();
        let round = amends_server::mailroom::take_in_unseen(&app.state, &mut mailbox, "imap-test")
            .await
            .unwrap();
        assert_eq!(round.taken, 2);
        let detail = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(detail["messages"].as_array().unwrap().len(), count);
        assert!(mailbox.unseen().await.unwrap().is_empty());

        // An out-of-office answer opens no case and adds no message.
        let (cases, _) = app.counts().await;
        let ooo = "From: Lou Reed <lou@example.com>\r\nSubject: Automatic reply: away\r\n\
                   Auto-Submitted: auto-replied\r\nMessage-ID: <ooo-x@example.com>\r\n\r\n\
                   I am away until Monday.\r\n";
        mailbox.append(ooo.as_bytes()).await.unwrap();
        amends_server::mailroom::take_in_unseen(&app.state, &mut mailbox, "imap-test")
            .await
            .unwrap();
        assert_eq!(app.counts().await.0, cases);
        let detail = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(detail["messages"].as_array().unwrap().len(), count);
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let ignored = get(&app, &supervisor, "/mail/intake?outcome=ignored").await;
        assert!(ignored[0]["reason"]
            .as_str()
            .unwrap()
            .contains("auto-reply"));
        mailbox.close().await;
    }
    drop(imap);
}

/// The server watching a mailbox takes a new mail in by itself (dovecot offers IDLE).
#[tokio::test]
async fn a_watched_mailbox_takes_new_mail_in_without_being_asked() {
    let Some(imap) = Dovecot::start() else { return };
    let database = TestDatabase::sqlite();
    let app = TestApp::spawn_with(database, settings(None)).await;
    let url = MailboxUrl::parse(&imap.url()).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let watcher = tokio::spawn(amends_server::mailroom::watch_mailbox(
        app.state.clone(),
        url.clone(),
        stopped,
    ));
    let mut mailbox = Mailbox::open(&url).await.unwrap();
    assert!(mailbox.can_idle());
    // Let the watcher reach IDLE, so the mail arrives while it waits.
    tokio::time::sleep(Duration::from_millis(300)).await;
    mailbox
        .append(b"From: Kim <kim@example.com>\r\nSubject: Broken kettle\r\nMessage-ID: <k1@example.com>\r\n\r\nThe kettle you sold me leaks.\r\n")
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while app.counts().await.0 == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the watcher did not take the mail in: {}",
            imap.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    tokio::time::timeout(Duration::from_secs(5), watcher)
        .await
        .expect("the watcher stops when asked")
        .unwrap();
    let agent = app.token_client(AgentRole::Agent).await;
    let queue = get(&app, &agent, "/queue").await;
    assert_eq!(queue["items"][0]["subject"], "Broken kettle");
}

/// With the SMTP server away, mail stays queued and goes out, once, when it is back; a mail
/// the server refuses for good is marked failed with the reason, and a person is told.
#[tokio::test]
async fn mail_waits_while_smtp_is_away_and_a_refusal_is_told() {
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    for app in apps(Some(&url)).await {
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Max", "max@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        let (status, _) = post(
            &app,
            &agent,
            &format!("/cases/{id}/messages"),
            json!({"direction": "outbound", "body": "Max, we are sending a new one today."}),
        )
        .await;
        assert_eq!(status, 201);
        let outcome = app.run_due_jobs().await;
        assert_eq!(outcome.retrying, 1, "{outcome:?}");
        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        assert_eq!(notices[0]["kind"], "reply");
        assert_eq!(notices[0]["status"], "queued");
        assert!(!notices[0]["last_error"].as_str().unwrap().is_empty());

        let Some(smtp) = SmtpCapture::start_on(port) else {
            return;
        };
        app.clock.advance(MINUTE);
        assert_eq!(app.run_due_jobs().await.done, 1);
        app.clock.advance(60 * MINUTE);
        assert_eq!(app.run_due_jobs().await.total(), 0);
        let received = smtp.received();
        assert_eq!(received.len(), 1, "sent once");
        let text = String::from_utf8_lossy(&received[0].raw).into_owned();
        assert!(text.contains("sending a new one today"));
        assert!(
            header(&text, "Auto-Submitted").is_none(),
            "a person wrote it"
        );
        let mail = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        assert_eq!(mail[0]["status"], "sent");

        smtp.refuse(Some("550 5.1.1 mailbox unavailable"));
        post(
            &app,
            &agent,
            &format!("/cases/{id}/messages"),
            json!({"direction": "outbound", "body": "One more thing, Max."}),
        )
        .await;
        assert_eq!(app.run_due_jobs().await.failed, 1);
        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        assert_eq!(notices[0]["status"], "failed");
        assert!(notices[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("mailbox unavailable"));
        let admin = app.admin().await;
        let told = admin.get(&app, "/notifications").await;
        assert!(
            told.as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "mail_failed"),
            "{told}"
        );
        drop(smtp);
    }
}

/// Without SMTP the mail is composed and kept in the local outbox, whole.
#[tokio::test]
async fn without_smtp_mail_is_kept_in_the_local_outbox() {
    for app in apps(None).await {
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Pat", "pat@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        post(
            &app,
            &agent,
            &format!("/cases/{id}/messages"),
            json!({"direction": "outbound", "body": "Pat, your refund is on its way."}),
        )
        .await;
        assert_eq!(app.run_due_jobs().await.done, 1);
        let notices = get(&app, &agent, &format!("/notices?case_id={id}")).await;
        assert_eq!(notices[0]["status"], "held");
        let notice = notices[0]["id"].as_i64().unwrap();
        let response = agent
            .get(app.api(&format!("/notices/{notice}/mail")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "message/rfc822");
        let raw = response.bytes().await.unwrap();
        let mail = read_mail(&raw, &Limits::default()).unwrap();
        assert!(mail.text.contains("Dear Pat,"));
        assert!(mail.text.contains("your refund is on its way"));
        assert_eq!(mail.subject, format!("Re: Pat's order [Case #{id}]"));
    }
}

/// Mail posted over HTTP: a new case with its safe HTML and attachment, the same mail twice is
/// one, what cannot be read is quarantined whole, a subject reference is trusted only from the
/// case's own customer, and every message of the tricky corpus lands somewhere.
#[tokio::test]
async fn mail_posted_over_http_is_filed_deduplicated_or_quarantined() {
    for app in apps(None).await {
        let agent = app.token_client(AgentRole::Agent).await;
        let raw = corpus("nested_multipart.eml");
        let (status, filed) = post_mail(&app, &agent, &raw).await;
        assert_eq!(status, 202, "{filed}");
        assert_eq!(filed["outcome"], "filed");
        assert_eq!(filed["new_case"], true);
        let id = filed["case_id"].as_i64().unwrap();
        let detail = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(detail["subject"], "Parcel never arrived");
        assert_eq!(detail["channel"], "email");
        let html = detail["messages"][0]["body_html"].as_str().unwrap();
        assert!(
            html.contains("<b>never</b>") && !html.contains("script"),
            "{html}"
        );
        let attachments = get(&app, &agent, &format!("/cases/{id}/attachments")).await;
        assert_eq!(attachments[0]["name"], "receipt.png");
        let download = agent
            .get(app.api(&format!("/attachments/{}", attachments[0]["id"])))
            .send()
            .await
            .unwrap();
        assert_eq!(download.headers()["x-content-type-options"], "nosniff");
        assert!(download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        assert!(download.bytes().await.unwrap().starts_with(b"\x89PNG"));

        let (status, again) = post_mail(&app, &agent, &raw).await;
        assert_eq!(
            (status, again["outcome"].as_str()),
            (202, Some("duplicate"))
        );
        assert_eq!(again["case_id"], id);

        // A stranger naming the case in a subject opens their own case; the customer does not.
        let (_, stranger) = post_mail(
            &app,
            &agent,
            format!("From: eve@example.net\r\nSubject: Re: [Case #{id}]\r\n\r\nLet me in.\r\n")
                .as_bytes(),
        )
        .await;
        assert_ne!(stranger["case_id"], id);
        let (_, owner) = post_mail(
            &app,
            &agent,
            format!(
                "From: ann.smith@example.com\r\nSubject: Re: [Case #{id}]\r\n\r\nAny news?\r\n"
            )
            .as_bytes(),
        )
        .await;
        assert_eq!(
            (owner["case_id"].as_i64(), owner["new_case"].as_bool()),
            (Some(id), Some(false))
        );

        let garbage = corpus("not_an_email.eml");
        let (status, quarantined) = post_mail(&app, &agent, &garbage).await;
        assert_eq!(
            (status, quarantined["outcome"].as_str()),
            (202, Some("quarantined"))
        );
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let listed = get(&app, &supervisor, "/mail/intake?outcome=quarantined").await;
        let entry = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == quarantined["quarantine_id"])
            .unwrap();
        assert!(!entry["reason"].as_str().unwrap().is_empty());
        let kept = supervisor
            .get(app.api(&format!("/mail/intake/{}/raw", entry["id"])))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(kept.as_ref(), garbage.as_slice(), "kept whole");
        let refused = agent.get(app.api("/mail/intake")).send().await.unwrap();
        assert_eq!(refused.status(), 403, "agents do not read the quarantine");

        let dir = format!("{}/../amends-mail/tests/corpus", env!("CARGO_MANIFEST_DIR"));
        for file in std::fs::read_dir(dir).unwrap().flatten() {
            let (status, intake) =
                post_mail(&app, &agent, &std::fs::read(file.path()).unwrap()).await;
            assert_eq!(status, 202, "{:?}: {intake}", file.path());
            assert!(
                ["filed", "duplicate", "ignored", "quarantined"]
                    .contains(&intake["outcome"].as_str().unwrap()),
                "{intake}"
            );
        }
    }
}

/// The intake endpoint takes a 10 MB attachment (its own body limit, not the API's), refuses
/// other media types and anonymous callers, and changes nothing when it refuses.
#[tokio::test]
async fn the_intake_endpoint_takes_big_mail_and_refuses_the_wrong_kind() {
    for app in apps(None).await {
        let agent = app.token_client(AgentRole::Agent).await;
        let video = "QUFB".repeat(10 * 1024 * 1024 / 3);
        let lines: Vec<&str> = video
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let raw = format!(
            "From: Big <big@example.com>\r\nSubject: video of the damage\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\n\
             See the video.\r\n--x\r\nContent-Type: video/mp4; name=\"damage.mp4\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--x--\r\n",
            lines.join("\r\n")
        );
        let (status, filed) = post_mail(&app, &agent, raw.as_bytes()).await;
        assert_eq!(
            (status, filed["outcome"].as_str()),
            (202, Some("filed")),
            "{filed}"
        );
        let id = filed["case_id"].as_i64().unwrap();
        let attachments = get(&app, &agent, &format!("/cases/{id}/attachments")).await;
        assert_eq!(attachments[0]["size"], 10 * 1024 * 1024 / 3 * 3);
        assert_eq!(attachments[0]["kept"], true);

        let before = app.counts().await;
        let json = agent
            .post(app.api("/inbound/email"))
            .json(&json!({"text": "hello"}))
            .send()
            .await
            .unwrap();
        assert_eq!(json.status(), 415);
        let anonymous = reqwest::Client::new()
            .post(app.api("/inbound/email"))
            .header("content-type", "message/rfc822")
            .body("From: a@example.com\r\n\r\nhi\r\n")
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
        assert_eq!(app.counts().await, before);
    }
}

/// Before a promised call-back the customer gets a reminder by mail too (from the template of
/// its kind), and their owner a notification; other promises remind only the owner.
#[tokio::test]
async fn a_call_back_reminds_the_customer_by_mail() {
    let Some(smtp) = SmtpCapture::start() else {
        return;
    };
    for app in apps(Some(&smtp.url())).await {
        let before = smtp.received().len();
        let agent = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&agent, "Rae", "rae@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        let due = amends_core::Timestamp(app.clock.now().millis() + 120 * MINUTE).to_rfc3339();
        for (kind, description) in [
            ("call_back", "call about the refund"),
            ("refund", "refund the fee"),
        ] {
            let (status, body) = post(
                &app,
                &agent,
                &format!("/cases/{id}/promises"),
                json!({"kind": kind, "description": description, "due_at": due}),
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }
        app.clock.advance(95 * MINUTE);
        app.run_due_jobs().await; // the reminders, which queue the mail
        app.run_due_jobs().await; // the mail
        let received = smtp.received();
        assert_eq!(received.len(), before + 1, "one reminder to the customer");
        let mail = read_mail(&received[before].raw, &Limits::default()).unwrap();
        assert!(mail.text.contains("we will call you by"), "{}", mail.text);
        assert!(mail.text.contains("call about the refund"));
        assert!(mail
            .html
            .unwrap()
            .contains("A reminder of what we promised"));
    }
}
