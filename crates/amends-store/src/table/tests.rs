//! Each table module on its own, on every backend: rows written and read back, the guards on
//! their updates (a notice or staff mail marked only while queued), and who is told what.

use amends_core::audit::{Actor, AuditContext};
use amends_core::case::NewCase;
use amends_core::customer::{CustomerName, NewCustomer};
use amends_core::job::{CaseReminder, Job, Scheduled};
use amends_core::outcome::{AlertKind, NoticeKind, Recipient};
use amends_core::promise::{NewPromise, PromiseKind, PromiseState};
use amends_core::wording::Wording;
use amends_core::Timestamp;
use amends_core::{AgentRole, Case, CaseStatus, Channel, Direction, EmailAddress, Priority};
use sqlx::pool::PoolConnection;
use sqlx::Any;

use super::messages::{insert_message, message_by_external_id, NewMessage};
use super::staff_mails::StaffMailSent;
use super::{cases, jobs, notices, notifications, promises, staff_mails};
use crate::testing::TestDatabase;
use crate::{NewAgent, OpenCase, Store, StoreError};

const NOW: Timestamp = Timestamp(1_800_000_000_000);
const HOUR: i64 = 3_600_000;

fn context() -> AuditContext {
    AuditContext {
        actor: Actor::System,
        at: NOW,
        remote_addr: None,
    }
}

/// A migrated store on each backend.
async fn stores() -> Vec<(TestDatabase, Store)> {
    let mut stores = Vec::new();
    for database in TestDatabase::each().await {
        let store = Store::connect(&database.url).await.unwrap();
        store.migrate().await.unwrap();
        stores.push((database, store));
    }
    stores
}

async fn connection(store: &Store) -> PoolConnection<Any> {
    store.write.acquire().await.unwrap()
}

async fn agent(store: &Store, email: &str, role: AgentRole, supervisor: Option<i64>) -> i64 {
    let agent = NewAgent {
        email: email.to_owned(),
        name: email.to_owned(),
        role,
        password_hash: None,
        authority_limit_minor: 0,
        supervisor_id: supervisor,
        case_access: amends_core::CaseAccess::All,
    };
    store.create_agent(&agent, &context()).await.unwrap().id
}

async fn case(store: &Store, name: &str) -> Case {
    let mut customer = NewCustomer::named(CustomerName::parse("name", name).unwrap());
    customer.emails = vec![EmailAddress::parse("email", &format!("{name}@example.com")).unwrap()];
    let request = OpenCase {
        customer,
        case: NewCase {
            channel: Channel::Email,
            subject: "Parcel".to_owned(),
            body: "Where is it?".to_owned(),
            priority: Priority::Normal,
        },
        body_html: None,
        external_id: None,
        reading: None,
    };
    store.open_case(&request, &context()).await.unwrap().case
}

#[tokio::test]
async fn cases_load_save_and_refresh_their_promise_signals() {
    for (_database, store) in stores().await {
        let owner = agent(&store, "ann@desk.test", AgentRole::Agent, None).await;
        let opened = case(&store, "bo").await;
        let mut conn = connection(&store).await;
        let missing = cases::load_case(&mut conn, opened.id + 100, false).await;
        assert!(matches!(missing, Err(StoreError::NotFound("case"))));

        let mut changed = cases::load_case(&mut conn, opened.id, false).await.unwrap();
        changed.status = CaseStatus::Open;
        changed.priority = Priority::Urgent;
        changed.reopen_count = 2;
        changed.csat = Some(4);
        cases::save_case(&mut conn, &changed).await.unwrap();
        let saved = cases::load_case(&mut conn, opened.id, false).await.unwrap();
        assert_eq!(
            (saved.status, saved.priority, saved.reopen_count, saved.csat),
            (CaseStatus::Open, Priority::Urgent, 2, Some(4))
        );
        drop(conn);

        // Two live promises: the sooner one is next; breaking it counts and moves the signal on.
        let promise = |due: i64| NewPromise {
            kind: PromiseKind::CallBack,
            description: "call back".to_owned(),
            owner_id: owner,
            due_at: NOW.plus_millis(due),
        };
        let first = store
            .make_promise(opened.id, &promise(HOUR), &context())
            .await
            .unwrap();
        store
            .make_promise(opened.id, &promise(2 * HOUR), &context())
            .await
            .unwrap();
        let mut conn = connection(&store).await;
        let mut broken = promises::load_promise(&mut conn, first.id, false)
            .await
            .unwrap();
        broken.state = PromiseState::Broken;
        broken.broken_at = Some(NOW);
        promises::save_promise(&mut conn, &broken).await.unwrap();
        let refreshed = cases::refresh_case(&mut conn, opened.id, NOW)
            .await
            .unwrap();
        assert_eq!(refreshed.broken_promises, 1);
        assert_eq!(
            refreshed.next_promise_due_at,
            Some(NOW.plus_millis(2 * HOUR))
        );
        assert!(
            refreshed.urgency > saved.urgency,
            "a broken promise raises it"
        );
        let again = promises::load_promise(&mut conn, first.id, false)
            .await
            .unwrap();
        assert_eq!(
            (again.state, again.broken_at),
            (PromiseState::Broken, Some(NOW))
        );
        let missing = promises::load_promise(&mut conn, first.id + 100, false).await;
        assert!(matches!(missing, Err(StoreError::NotFound("promise"))));
    }
}

#[tokio::test]
async fn messages_are_found_by_their_channel_and_external_id() {
    for (_database, store) in stores().await {
        let opened = case(&store, "cy").await;
        let mut conn = connection(&store).await;
        let message = NewMessage {
            direction: Direction::Inbound,
            channel: Channel::Chat,
            author_id: None,
            body: "Still waiting".to_owned(),
            body_html: None,
            external_id: Some("chat-7".to_owned()),
            reading: None,
        };
        let written = insert_message(&mut conn, opened.id, &message, NOW)
            .await
            .unwrap();
        assert_eq!((written.case_id, written.created_at), (opened.id, NOW));
        let found = message_by_external_id(&mut conn, "chat", "chat-7")
            .await
            .unwrap();
        assert_eq!(found.map(|m| m.id), Some(written.id));
        let elsewhere = message_by_external_id(&mut conn, "email", "chat-7")
            .await
            .unwrap();
        assert!(elsewhere.is_none(), "an id is the channel's own");
    }
}

#[tokio::test]
async fn a_notice_is_marked_out_or_failed_only_while_queued() {
    for (_database, store) in stores().await {
        let opened = case(&store, "di").await;
        let mut conn = connection(&store).await;
        let to = notices::customer_email(&mut conn, opened.customer_id)
            .await
            .unwrap();
        assert_eq!(to.as_deref(), Some("di@example.com"));
        let wording = Wording {
            subject: "Your refund".to_owned(),
            body: "It is on its way.".to_owned(),
        };
        let (kind, email) = (NoticeKind::PromiseExtended, Channel::Email);
        let mut ids = Vec::new();
        for _ in 0..2 {
            let id = notices::insert_notice(
                &mut conn,
                &opened,
                kind,
                &wording,
                email,
                to.as_deref(),
                NOW,
            );
            ids.push(id.await.unwrap());
        }
        let [sent, failing] = ids[..] else {
            unreachable!()
        };

        assert!(
            notices::mark_out(&mut conn, sent, false, "<1@desk>", "mail", NOW)
                .await
                .unwrap()
        );
        assert!(
            !notices::mark_out(&mut conn, sent, true, "<2@desk>", "mail", NOW)
                .await
                .unwrap(),
            "sent once"
        );
        assert!(
            !notices::mark_failed(&mut conn, sent, "late", true, NOW)
                .await
                .unwrap(),
            "a sent notice does not fail"
        );
        let out = notices::load_notice(&mut conn, sent).await.unwrap();
        assert_eq!(
            (out.status.as_str(), out.message_id.as_deref()),
            ("sent", Some("<1@desk>"))
        );

        assert!(notices::mark_failed(&mut conn, failing, "busy", false, NOW)
            .await
            .unwrap());
        let retrying = notices::load_notice(&mut conn, failing).await.unwrap();
        assert_eq!(
            (retrying.status.as_str(), retrying.last_error.as_deref()),
            ("queued", Some("busy"))
        );
        assert!(
            notices::mark_failed(&mut conn, failing, "refused", true, NOW)
                .await
                .unwrap()
        );
        let failed = notices::load_notice(&mut conn, failing).await.unwrap();
        assert_eq!(failed.status, "failed");
        let missing = notices::load_notice(&mut conn, failing + 100).await;
        assert!(matches!(missing, Err(StoreError::NotFound(_))));
    }
}

#[tokio::test]
async fn alerts_go_to_the_agent_else_their_supervisor_else_every_supervisor_else_the_admins() {
    for (_database, store) in stores().await {
        let admin = agent(&store, "ad@desk.test", AgentRole::Admin, None).await;
        let lone = agent(&store, "lone@desk.test", AgentRole::Agent, None).await;
        let mut conn = connection(&store).await;
        let to_lone = notifications::recipients(&mut conn, Recipient::Agent(lone)).await;
        assert_eq!(to_lone.unwrap(), [lone]);
        let in_charge =
            notifications::recipients(&mut conn, Recipient::InChargeOf(Some(lone))).await;
        assert_eq!(in_charge.unwrap(), [admin], "no supervisors yet");
        drop(conn);

        let sue = agent(&store, "sue@desk.test", AgentRole::Supervisor, None).await;
        let sam = agent(&store, "sam@desk.test", AgentRole::Supervisor, None).await;
        let led = agent(&store, "led@desk.test", AgentRole::Agent, Some(sam)).await;
        let mut conn = connection(&store).await;
        let recipients =
            notifications::recipients(&mut conn, Recipient::InChargeOf(Some(led))).await;
        assert_eq!(recipients.unwrap(), [sam], "their own supervisor");
        sqlx::query("update agents set active = 0 where id = $1")
            .bind(sam)
            .execute(&mut *conn)
            .await
            .unwrap();
        let recipients =
            notifications::recipients(&mut conn, Recipient::InChargeOf(Some(led))).await;
        assert_eq!(
            recipients.unwrap(),
            [sue],
            "every active supervisor when theirs is gone"
        );
        let recipients = notifications::recipients(&mut conn, Recipient::InChargeOf(None)).await;
        assert_eq!(recipients.unwrap(), [sue]);

        notifications::insert_notification(
            &mut conn,
            sue,
            None,
            AlertKind::Abuse,
            "Hal swore",
            NOW,
        )
        .await
        .unwrap();
        drop(conn);
        let told = store.notifications(sue, 10).await.unwrap();
        assert_eq!(told.len(), 1);
        assert_eq!(
            (told[0].kind.as_str(), told[0].body.as_str()),
            ("abuse", "Hal swore")
        );
    }
}

#[tokio::test]
async fn a_job_is_stored_as_its_kind_and_arguments_and_a_staff_mail_marked_once() {
    for (_database, store) in stores().await {
        let sue = agent(&store, "sue@desk.test", AgentRole::Supervisor, None).await;
        let mut conn = connection(&store).await;
        let work = Scheduled {
            job: Job::CaseReminder(CaseReminder {
                case_id: 4,
                note: "ring the courier".to_owned(),
            }),
            run_at: NOW.plus_millis(HOUR),
        };
        let id = jobs::insert_job(&mut conn, &work, 3, NOW).await.unwrap();
        let staff_mail: i64 = sqlx::query_scalar(
            "insert into staff_mails (agent_id, to_address, subject, body, status, created_at, \
             updated_at) values ($1, 'sue@desk.test', 'Reset', 'link', 'queued', $2, $2) \
             returning id",
        )
        .bind(sue)
        .bind(NOW.millis())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let sent = |held| StaffMailSent {
            staff_mail_id: staff_mail,
            mail: format!("held: {held}"),
            held,
        };
        staff_mails::mark_out(&mut conn, &sent(true), NOW)
            .await
            .unwrap();
        staff_mails::mark_out(&mut conn, &sent(false), NOW)
            .await
            .unwrap();
        let (status, mail): (String, String) =
            sqlx::query_as("select status, mail from staff_mails where id = $1")
                .bind(staff_mail)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            (status.as_str(), mail.as_str()),
            ("held", "held: true"),
            "marked once"
        );
        drop(conn);

        let stored = store.job(id).await.unwrap();
        assert_eq!(stored.kind, "case.reminder");
        assert_eq!((stored.run_at, stored.max_attempts), (work.run_at, 3));
        assert_eq!(stored.work().unwrap(), work.job);
    }
}
