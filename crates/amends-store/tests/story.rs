//! One conformance story, told against SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on should stop right there

use amends_core::account::TokenScope;
use amends_core::audit::{Actor, AuditContext};
use amends_core::case::{after_message, apply_change, CaseChange, NewCase};
use amends_core::customer::{CustomerName, NewCustomer};
use amends_core::job::{CaseReminder, Job, MailSend, Scheduled};
use amends_core::{
    queue, AgentRole, CaseStatus, Channel, Direction, EmailAddress, Priority, Timestamp,
};
use amends_store::testing::TestDatabase;
use amends_store::{
    JobEffect, JobStatus, MailSent, NewAgent, NewJob, NewMessage, OpenCase, Store, StoreError,
};

#[path = "story/accounts.rs"]
mod accounts;
#[path = "story/incidents.rs"]
mod incidents;
#[path = "story/knowledge.rs"]
mod knowledge;
#[path = "story/search.rs"]
mod search;

fn at(millis: i64) -> AuditContext {
    AuditContext {
        actor: Actor::System,
        at: Timestamp(millis),
        remote_addr: Some("127.0.0.1".to_owned()),
    }
}

fn open_request(name: &str, email: Option<&str>, priority: Priority) -> OpenCase {
    let mut customer = NewCustomer::named(CustomerName::parse("name", name).unwrap());
    customer.emails = email
        .map(|e| EmailAddress::parse("email", e).unwrap())
        .into_iter()
        .collect();
    OpenCase {
        customer,
        case: NewCase {
            channel: Channel::Email,
            subject: format!("{name}'s parcel"),
            body: "It never arrived.".to_owned(),
            priority,
        },
        body_html: None,
        external_id: None,
        reading: None,
    }
}

async fn fresh(database: &TestDatabase) -> Store {
    let store = Store::connect(&database.url).await.unwrap();
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store
}

#[tokio::test]
async fn the_story_holds_on_every_backend() {
    for database in TestDatabase::each().await {
        eprintln!("story on {:?}", database.backend());
        let store = fresh(&database).await;
        cases_find_their_customer(&store).await;
        refused_changes_write_nothing(&store).await;
        the_queue_matches_the_core_order_across_pages(&store).await;
        customers_are_searched_and_paged(&store).await;
        the_audit_trail_cannot_be_rewritten(&database.url).await;
        accounts_sessions_and_tokens(&store).await;
        accounts::accounts_are_throttled_changed_and_ended(&store).await;
        jobs_are_claimed_once_and_retried(&store).await;
        search::cases_and_customers_are_found_by_their_words(&store).await;
        knowledge::articles_are_found_by_what_readers_ask(&store).await;
        incidents::incidents_warn_the_affected_once(&store).await;
        store.close().await;
    }
}

async fn cases_find_their_customer(store: &Store) {
    let first = store
        .open_case(
            &open_request("Ann", Some("ann@example.com"), Priority::Normal),
            &at(1_000),
        )
        .await
        .unwrap();
    assert!(first.created && first.customer_created);
    let again = store
        .open_case(
            &open_request("Ann B.", Some("ANN@example.com"), Priority::Normal),
            &at(2_000),
        )
        .await
        .unwrap();
    assert!(again.created && !again.customer_created);
    assert_eq!(again.case.customer_id, first.case.customer_id);
    assert_ne!(again.case.id, first.case.id);

    let mut webhook = open_request("Bob", None, Priority::Low);
    webhook.external_id = Some("chat-77".to_owned());
    let once = store.open_case(&webhook, &at(3_000)).await.unwrap();
    let twice = store.open_case(&webhook, &at(4_000)).await.unwrap();
    assert!(once.created && !twice.created);
    assert_eq!(once.case.id, twice.case.id);
    assert_eq!(store.case_messages(once.case.id).await.unwrap().len(), 1);

    let reply = NewMessage {
        direction: Direction::Outbound,
        channel: Channel::Email,
        author_id: None,
        body: "We are on it.".to_owned(),
        body_html: None,
        external_id: None,
        reading: None,
    };
    let (case, message) = store
        .add_message(first.case.id, &reply, &at(5_000), |c| {
            after_message(c, Direction::Outbound, Timestamp(5_000))
        })
        .await
        .unwrap();
    assert_eq!(case.status, CaseStatus::WaitingOnCustomer);
    assert_eq!(case.first_response_at, Some(Timestamp(5_000)));
    assert_eq!(store.case(first.case.id).await.unwrap(), case);
    let messages = store.case_messages(first.case.id).await.unwrap();
    assert_eq!(messages.last().unwrap(), &message);
    let trail = store.audit_trail("case", first.case.id).await.unwrap();
    assert_eq!(
        trail.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["case.opened", "case.changed"]
    );
    assert_eq!(trail[0].remote_addr.as_deref(), Some("127.0.0.1"));
    reply_goes_out_by_mail_once(store, first.case.id).await;
    assert_eq!(
        store
            .customer_cases(first.case.customer_id, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn refused_changes_write_nothing(store: &Store) {
    let opened = store
        .open_case(&open_request("Cy", None, Priority::Normal), &at(6_000))
        .await
        .unwrap();
    let close = CaseChange {
        status: Some(CaseStatus::Closed),
        ..CaseChange::default()
    };
    store
        .update_case(opened.case.id, &at(7_000), |c| {
            apply_change(c, &close, Timestamp(7_000))
        })
        .await
        .unwrap();
    let before = store.audit_trail("case", opened.case.id).await.unwrap();
    let reopen_as_open = CaseChange {
        status: Some(CaseStatus::Open),
        ..CaseChange::default()
    };
    let refused = store
        .update_case(opened.case.id, &at(8_000), |c| {
            apply_change(c, &reopen_as_open, Timestamp(8_000))
        })
        .await;
    assert!(
        matches!(refused, Err(StoreError::Rejected(ref e)) if e.field == "status"),
        "{refused:?}"
    );
    let bad_owner = CaseChange {
        owner_id: Some(Some(999_999)),
        ..CaseChange::default()
    };
    let refused = store
        .update_case(opened.case.id, &at(8_000), |c| {
            apply_change(c, &bad_owner, Timestamp(8_000))
        })
        .await;
    assert!(
        matches!(refused, Err(StoreError::Rejected(ref e)) if e.field == "owner_id"),
        "{refused:?}"
    );
    assert_eq!(
        store.audit_trail("case", opened.case.id).await.unwrap(),
        before
    );
    assert_eq!(
        store.case(opened.case.id).await.unwrap().status,
        CaseStatus::Closed
    );
    assert!(matches!(
        store.case(424_242).await,
        Err(StoreError::NotFound("case"))
    ));
}

async fn the_queue_matches_the_core_order_across_pages(store: &Store) {
    for (i, priority) in [
        Priority::Low,
        Priority::Urgent,
        Priority::High,
        Priority::Normal,
    ]
    .iter()
    .cycle()
    .take(23)
    .enumerate()
    {
        let opened_at = 10_000 + (i64::try_from(i).unwrap() % 5) * 100;
        store
            .open_case(
                &open_request(&format!("Q{i}"), None, *priority),
                &at(opened_at),
            )
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.queue(&Default::default(), cursor, 4).await.unwrap();
        assert!(page.cases.len() <= 4);
        seen.extend(page.cases.into_iter().map(|queued| queued.case));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut expected = seen.clone();
    expected.sort_by(queue::compare);
    assert_eq!(
        seen.iter().map(|c| c.id).collect::<Vec<_>>(),
        expected.iter().map(|c| c.id).collect::<Vec<_>>()
    );
    assert!(seen.iter().all(|c| c.status.is_open()));
    let mut ids: Vec<i64> = seen.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), seen.len(), "no case twice");
    assert!(seen.len() >= 23);
}

async fn customers_are_searched_and_paged(store: &Store) {
    let found = store
        .search_customers(Some("ann@EXAMPLE"), None, 0, 10)
        .await
        .unwrap();
    assert_eq!(found.customers.len(), 1);
    assert_eq!(found.customers[0].contacts.emails, ["ann@example.com"]);
    let percent = store
        .search_customers(Some("%"), None, 0, 10)
        .await
        .unwrap();
    assert!(percent.customers.is_empty(), "like wildcards are escaped");
    let mut after = 0;
    let mut total = 0;
    loop {
        let page = store.search_customers(None, None, after, 7).await.unwrap();
        total += page.customers.len();
        match page.next_after {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(total, 1 + 1 + 1 + 23);
    let mut duplicate = NewCustomer::named(CustomerName::parse("name", "Imposter").unwrap());
    duplicate.emails = vec![EmailAddress::parse("email", "ann@example.com").unwrap()];
    let conflict = store.create_customer(&duplicate, &at(20_000)).await;
    assert!(
        matches!(conflict, Err(StoreError::Conflict { .. })),
        "{conflict:?}"
    );
    let page = store
        .search_customers(Some("imposter"), None, 0, 10)
        .await
        .unwrap();
    assert!(
        page.customers.is_empty(),
        "a refused customer leaves nothing behind"
    );
}

async fn the_audit_trail_cannot_be_rewritten(url: &str) {
    use sqlx::{Connection, Executor};
    let url = if url.starts_with("sqlite:") {
        format!("{url}?mode=rw")
    } else {
        url.to_owned()
    };
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    assert!(conn
        .execute("update audit_events set action = 'nothing happened'")
        .await
        .is_err());
    assert!(conn.execute("delete from audit_events").await.is_err());
    conn.close().await.unwrap();
}

async fn accounts_sessions_and_tokens(store: &Store) {
    let agent = NewAgent {
        email: "sam@desk.test".to_owned(),
        name: "Sam".to_owned(),
        role: AgentRole::Supervisor,
        password_hash: Some("$argon2id$fake".to_owned()),
        authority_limit_minor: 5_000,
        supervisor_id: None,
        case_access: amends_core::CaseAccess::All,
    };
    let sam = store.create_agent(&agent, &at(30_000)).await.unwrap();
    assert!(matches!(
        store.create_agent(&agent, &at(30_001)).await,
        Err(StoreError::Conflict { .. })
    ));
    let (found, hash) = store
        .agent_for_sign_in("sam@desk.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id, hash.as_deref()),
        (sam.id, Some("$argon2id$fake"))
    );
    store
        .create_session(
            sam.id,
            "cookie-hash",
            "csrf",
            Timestamp(30_000),
            Timestamp(40_000),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .session("cookie-hash", Timestamp(39_999), Timestamp(0))
            .await
            .unwrap()
            .unwrap()
            .csrf_token,
        "csrf"
    );
    assert!(
        store
            .session("cookie-hash", Timestamp(40_000), Timestamp(0))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    let token = store
        .create_token(
            sam.id,
            "token-hash",
            "crm",
            TokenScope::Full,
            None,
            &at(30_000),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .agent_for_token("token-hash", Timestamp(30_500))
            .await
            .unwrap()
            .unwrap()
            .0
            .id,
        sam.id
    );
    store.revoke_token(token.id, &at(31_000)).await.unwrap();
    assert!(store
        .agent_for_token("token-hash", Timestamp(31_500))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.tokens(Some(sam.id)).await.unwrap()[0].revoked_at,
        Some(31_000)
    );
    let change = CaseChange {
        owner_id: Some(Some(sam.id)),
        ..CaseChange::default()
    };
    let case = store
        .queue(&Default::default(), None, 1)
        .await
        .unwrap()
        .cases[0]
        .case
        .id;
    let owned = store
        .update_case(case, &at(32_000), |c| {
            apply_change(c, &change, Timestamp(32_000))
        })
        .await
        .unwrap();
    assert_eq!(owned.owner_id, Some(sam.id));
}

/// A reply on an email case is queued as a notice with the job that mails it; completing the
/// job saves how it went out, once.
async fn reply_goes_out_by_mail_once(store: &Store, case_id: i64) {
    let notices = store.notices(Some(case_id), None, 10).await.unwrap();
    assert_eq!(notices.len(), 1);
    let notice = &notices[0];
    assert_eq!(
        (notice.kind.as_str(), notice.status.as_str()),
        ("reply", "queued")
    );
    assert_eq!(notice.to_address.as_deref(), Some("ann@example.com"));
    let jobs = store
        .claim_due_jobs("mailer", Timestamp(5_000), 1_000, 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].kind, "mail.send");
    let sent = MailSent {
        notice_id: notice.id,
        message_id: "m1@desk.example".to_owned(),
        mail: "Subject: Re: x\r\n\r\nWe are on it.\r\n".to_owned(),
        held: true,
    };
    let effect = JobEffect::MailSent(sent.clone());
    store
        .complete_job(&jobs[0], "mailer", &effect, &at(5_100))
        .await
        .unwrap();
    let held = store.notice(notice.id).await.unwrap();
    assert_eq!(
        (held.status.as_str(), held.message_id.as_deref()),
        ("held", Some("m1@desk.example"))
    );
    assert_eq!(store.notice_mail(notice.id).await.unwrap(), sent.mail);
    let thread = store.mail_thread(case_id).await.unwrap();
    assert_eq!(thread.references, ["m1@desk.example"]);
    assert_eq!(thread.in_reply_to, None, "the customer wrote no mail yet");
}

async fn jobs_are_claimed_once_and_retried(store: &Store) {
    let case_id = store
        .queue(&Default::default(), None, 1)
        .await
        .unwrap()
        .cases[0]
        .case
        .id;
    let job = |run_at| NewJob {
        work: Scheduled {
            job: Job::CaseReminder(CaseReminder {
                case_id,
                note: "call Ann back".to_owned(),
            }),
            run_at: Timestamp(run_at),
        },
        max_attempts: 2,
    };
    let early = store.schedule_job(&job(50_000), &at(40_000)).await.unwrap();
    let late = store.schedule_job(&job(90_000), &at(40_000)).await.unwrap();
    assert!(store
        .claim_due_jobs("a", Timestamp(49_999), 1_000, 10)
        .await
        .unwrap()
        .is_empty());
    let claimed = store
        .claim_due_jobs("a", Timestamp(50_000), 1_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), [early]);
    assert!(
        store
            .claim_due_jobs("b", Timestamp(50_500), 1_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "held by a"
    );
    let taken_over = store
        .claim_due_jobs("b", Timestamp(51_000), 1_000, 10)
        .await
        .unwrap();
    assert_eq!(taken_over[0].attempts, 2, "lease ran out, b takes it");
    let effect = JobEffect::Decided;
    let late_completion = store
        .complete_job(&claimed[0], "a", &effect, &at(51_100))
        .await;
    assert!(
        matches!(late_completion, Err(StoreError::Conflict { .. })),
        "a lost its lease"
    );
    let notes_before = store.case_messages(case_id).await.unwrap().len();
    store
        .complete_job(&taken_over[0], "b", &effect, &at(51_200))
        .await
        .unwrap();
    let messages = store.case_messages(case_id).await.unwrap();
    assert_eq!(messages.len(), notes_before + 1);
    assert_eq!(messages.last().unwrap().direction, Direction::Note);
    assert_eq!(store.job(early).await.unwrap().status, JobStatus::Done);

    let claimed = store
        .claim_due_jobs("a", Timestamp(90_000), 1_000, 10)
        .await
        .unwrap();
    store
        .fail_job(
            &claimed[0],
            "a",
            "smtp down",
            Some(Timestamp(95_000)),
            Timestamp(90_001),
        )
        .await
        .unwrap();
    let waiting = store.job(late).await.unwrap();
    assert_eq!(
        (
            waiting.status,
            waiting.run_at,
            waiting.last_error.as_deref()
        ),
        (JobStatus::Pending, Timestamp(95_000), Some("smtp down"))
    );
    let claimed = store
        .claim_due_jobs("a", Timestamp(95_000), 1_000, 10)
        .await
        .unwrap();
    store
        .fail_job(&claimed[0], "a", "still down", None, Timestamp(95_001))
        .await
        .unwrap();
    let failed = store.jobs(&[JobStatus::Failed], 10).await.unwrap();
    assert_eq!(
        failed
            .iter()
            .map(|j| (j.id, j.attempts))
            .collect::<Vec<_>>(),
        [(late, 2)]
    );
    assert!(store
        .jobs(&[JobStatus::Pending, JobStatus::Running], 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn concurrent_runners_never_claim_the_same_job() {
    for database in TestDatabase::each().await {
        let store = fresh(&database).await;
        for i in 0..60 {
            let job = NewJob {
                work: Scheduled {
                    job: Job::MailSend(MailSend { notice_id: i }),
                    run_at: Timestamp(i),
                },
                max_attempts: 3,
            };
            store.schedule_job(&job, &at(0)).await.unwrap();
        }
        let mut runners = Vec::new();
        for runner in 0..6 {
            let store = store.clone();
            runners.push(tokio::spawn(async move {
                let name = format!("runner-{runner}");
                let mut mine = Vec::new();
                loop {
                    let jobs = store
                        .claim_due_jobs(&name, Timestamp(1_000), 60_000, 3)
                        .await
                        .unwrap();
                    if jobs.is_empty() {
                        return mine;
                    }
                    mine.extend(jobs.iter().map(|j| j.id));
                }
            }));
        }
        let mut all = Vec::new();
        for runner in runners {
            all.extend(runner.await.unwrap());
        }
        all.sort_unstable();
        let before = all.len();
        all.dedup();
        assert_eq!(
            (before, all.len()),
            (60, 60),
            "{:?}: every job claimed exactly once",
            database.backend()
        );
        store.close().await;
    }
}
