//! Email through the desk: taking a raw mail in (from the HTTP endpoint or a mailbox) and
//! deciding where it goes, sending a queued notice (the `mail.send` job), and watching IMAP
//! mailboxes.

use std::time::{Duration, SystemTime};

use amends_core::audit::AuditContext;
use amends_core::customer::{CustomerName, NewCustomer};
use amends_core::job::{MailSend, StaffMailSend};
use amends_core::Timestamp;
use amends_mail::{read_mail, InboundMail, Mailbox, MailboxUrl, Outgoing, SendError};
use amends_store::{Intake, MailFiling, MailSent, NewAttachment, SetAside, StoreError};
use tokio::sync::watch;

use crate::AppState;

/// Where a mail came from when it was posted to the API.
pub const HTTP_SOURCE: &str = "http";

/// Mail settings.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The desk's address, such as `Customer care <care@example.com>`.
    pub from: String,
    /// The sign-off of every mail.
    pub signature: String,
    /// The SMTP relay; without one, mail is kept in the local outbox (`held`).
    pub relay: Option<amends_mail::Mailer>,
    /// Mailboxes to read.
    pub mailboxes: Vec<MailboxUrl>,
    /// Largest mail taken in, in bytes (also the limit of the intake endpoint's body).
    pub max_mail_bytes: usize,
    /// How often to look at a mailbox whose server has no IDLE, and the longest IDLE wait.
    pub poll: Duration,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            from: "Customer care <care@amends.localhost>".to_owned(),
            signature: "Kind regards,\nThe customer care team".to_owned(),
            relay: None,
            mailboxes: Vec::new(),
            max_mail_bytes: 32 * 1024 * 1024,
            poll: Duration::from_secs(60),
        }
    }
}

/// Takes in one raw mail: files it under its case (or a new one), ignores it when no person
/// wrote it, or quarantines it whole when it cannot be read or filed. Never loses it: an error
/// means the database could not be reached, and the mail should be offered again later.
pub async fn take_in(
    state: &AppState,
    raw: &[u8],
    source: &str,
    context: &AuditContext,
) -> Result<Intake, StoreError> {
    let mail = match read_off_the_async_threads(raw).await {
        Ok(mail) => mail,
        Err(why) => return quarantine(state, raw, source, None, why, context).await,
    };
    if let Some(reason) = mail.sender.reason() {
        let aside = set_aside(raw, source, &mail, reason, false);
        return state.store.set_aside_mail(&aside, context.at).await;
    }
    let filing = match filing(state, raw, source, &mail).await {
        Ok(filing) => filing,
        Err(reason) => return quarantine(state, raw, source, Some(&mail), reason, context).await,
    };
    match state.store.file_mail(&filing, context).await {
        // The database or a rule refused a value of this mail: keep it whole, with the reason,
        // and go on.
        Err(error @ (StoreError::Refused(_) | StoreError::Rejected(_))) => {
            let reason = format!("the mail could not be filed: {error}");
            quarantine(state, raw, source, None, reason, context).await
        }
        other => {
            if let Ok(Intake::Filed {
                case_id,
                new_case: true,
                ..
            }) = &other
            {
                let reading = filing.reading.as_ref();
                crate::incident_links::link_new_case(
                    state,
                    *case_id,
                    &filing.body,
                    reading,
                    context,
                )
                .await;
                crate::acknowledgement::acknowledge_new_case(
                    state,
                    *case_id,
                    amends_core::Channel::Email,
                    &filing.subject,
                    &filing.body,
                    filing.reading.as_ref(),
                    context,
                )
                .await;
            }
            state.live.desk_changed();
            other
        }
    }
}

/// Reads a raw mail on the blocking pool: parsing and sanitising take time that grows with
/// the mail (bounded by [`amends_mail::Limits`]), which must not stall the async threads.
async fn read_off_the_async_threads(raw: &[u8]) -> Result<InboundMail, String> {
    let bytes = raw.to_vec();
    tokio::task::spawn_blocking(move || read_mail(&bytes, &amends_mail::Limits::default()))
        .await
        .map_err(|e| format!("reading the mail failed: {e}"))?
        .map_err(|why| why.to_string())
}

/// What to file for a mail a person wrote, or why it cannot be answered.
async fn filing(
    state: &AppState,
    raw: &[u8],
    source: &str,
    mail: &InboundMail,
) -> Result<MailFiling, String> {
    let email = crate::extract::parse_email("from", &mail.from_address).map_err(|_| {
        format!(
            "the sender address {:?} cannot be answered",
            mail.from_address
        )
    })?;
    let name = mail
        .from_name
        .as_deref()
        .and_then(|n| CustomerName::parse("from", n).ok())
        .or_else(|| {
            let local = mail.from_address.split('@').next().unwrap_or_default();
            CustomerName::parse("from", local).ok()
        })
        .ok_or_else(|| "the sender has no usable name or address".to_owned())?;
    let mut customer = NewCustomer::named(name);
    customer.emails = vec![email];
    let body = if mail.text.trim().is_empty() {
        "(no text: see the attachments)".to_owned()
    } else {
        mail.text.clone()
    };
    let mut thread = mail.in_reply_to.clone();
    thread.extend(mail.references.iter().rev().cloned());
    let left_out = (!mail.left_out.is_empty()).then(|| mail.left_out.join("; "));
    Ok(MailFiling {
        source: source.to_owned(),
        digest: mail.digest.clone(),
        size: i64::try_from(raw.len()).unwrap_or(i64::MAX),
        external_id: mail.external_id(),
        thread,
        case_reference: mail.case_reference,
        customer,
        subject: mail.subject.clone(),
        reading: Some(crate::reading::read_for(state, &mail.fresh_text).await),
        body,
        body_html: mail.html.clone(),
        attachments: mail
            .attachments
            .iter()
            .map(|a| NewAttachment {
                name: a.name.clone(),
                content_type: a.content_type.clone(),
                size: i64::try_from(a.size).unwrap_or(i64::MAX),
                content: a.content.clone(),
                omitted: a.omitted.clone(),
            })
            .collect(),
        raw: left_out.is_some().then(|| raw.to_vec()),
        left_out,
    })
}

fn set_aside(
    raw: &[u8],
    source: &str,
    mail: &InboundMail,
    reason: String,
    quarantine: bool,
) -> SetAside {
    SetAside {
        source: source.to_owned(),
        digest: mail.digest.clone(),
        message_id: mail.message_id.clone(),
        from_address: Some(mail.from_address.clone()),
        subject: Some(mail.subject.clone()),
        reason,
        quarantine,
        raw: if quarantine { raw.to_vec() } else { Vec::new() },
    }
}

async fn quarantine(
    state: &AppState,
    raw: &[u8],
    source: &str,
    mail: Option<&InboundMail>,
    reason: String,
    context: &AuditContext,
) -> Result<Intake, StoreError> {
    tracing::warn!(%source, %reason, bytes = raw.len(), "mail quarantined");
    let aside = match mail {
        Some(mail) => set_aside(raw, source, mail, reason, true),
        None => SetAside {
            source: source.to_owned(),
            digest: amends_mail::intake::digest(raw),
            message_id: None,
            from_address: None,
            subject: None,
            reason,
            quarantine: true,
            raw: raw.to_vec(),
        },
    };
    state.store.set_aside_mail(&aside, context.at).await
}

/// Why a notice was not sent this time.
pub(crate) enum SendFailure {
    /// Try again later.
    Temporary(String),
    /// Give up.
    Permanent(String),
}

/// Sends one queued notice (or keeps it in the local outbox when no relay is configured) and
/// says what to save. A notice no longer queued (sent by an earlier attempt whose completion
/// was saved) is left alone.
pub(crate) async fn send_notice(
    state: &AppState,
    send: MailSend,
) -> Result<Option<MailSent>, SendFailure> {
    let temporary = |e: StoreError| SendFailure::Temporary(e.to_string());
    let notice = match state.store.notice(send.notice_id).await {
        Ok(notice) => notice,
        Err(StoreError::NotFound(_)) => {
            return Err(SendFailure::Permanent(format!(
                "notice {} not found",
                send.notice_id
            )))
        }
        Err(e) => return Err(temporary(e)),
    };
    if notice.status != "queued" {
        return Ok(None);
    }
    let Some(to) = notice.to_address.clone() else {
        return Err(SendFailure::Permanent(
            "the customer has no email address on file".into(),
        ));
    };
    let thread = state
        .store
        .mail_thread(notice.case_id)
        .await
        .map_err(temporary)?;
    let to_name = state
        .store
        .customer_name_of_case(notice.case_id)
        .await
        .map_err(temporary)?;
    let settings = &state.settings.mail;
    let outgoing = Outgoing {
        from: settings.from.clone(),
        to: to.clone(),
        to_name,
        case_id: notice.case_id,
        kind: notice.kind.clone(),
        subject: notice.subject.clone(),
        body: notice.body.clone(),
        signature: settings.signature.clone(),
        message_id: message_id(state, notice.case_id, notice.id),
        in_reply_to: thread.in_reply_to,
        references: thread.references,
        date: system_time(state.clock.now()),
        automatic: notice.kind != "reply",
    };
    let raw = amends_mail::compose(&outgoing).map_err(|e| SendFailure::Permanent(e.to_string()))?;
    let held = deliver(state, &to, &raw).await?;
    Ok(Some(MailSent {
        notice_id: notice.id,
        message_id: outgoing.message_id,
        mail: String::from_utf8_lossy(&raw).into_owned(),
        held,
    }))
}

/// Sends one queued staff mail (a password reset link), or keeps it in the local outbox when no
/// relay is configured. One no longer queued is left alone.
pub(crate) async fn send_staff_mail(
    state: &AppState,
    send: StaffMailSend,
) -> Result<Option<amends_store::StaffMailSent>, SendFailure> {
    let record = match state.store.staff_mail(send.staff_mail_id).await {
        Ok(record) => record,
        Err(StoreError::NotFound(what)) => {
            return Err(SendFailure::Permanent(format!("{what} not found")))
        }
        Err(e) => return Err(SendFailure::Temporary(e.to_string())),
    };
    if record.status != "queued" {
        return Ok(None);
    }
    let agent = state
        .store
        .agent(record.agent_id)
        .await
        .map_err(|e| SendFailure::Temporary(e.to_string()))?;
    let settings = &state.settings.mail;
    let mail = amends_mail::PlainMail {
        from: settings.from.clone(),
        to: record.to_address.clone(),
        to_name: agent.name,
        subject: record.subject,
        body: record.body,
        message_id: format!(
            "staff{}.{}@{}",
            record.id,
            state.mail_tag,
            mail_domain(state)
        ),
        date: system_time(state.clock.now()),
    };
    let raw =
        amends_mail::compose_plain(&mail).map_err(|e| SendFailure::Permanent(e.to_string()))?;
    let held = deliver(state, &record.to_address, &raw).await?;
    Ok(Some(amends_store::StaffMailSent {
        staff_mail_id: record.id,
        mail: String::from_utf8_lossy(&raw).into_owned(),
        held,
    }))
}

/// Hands `raw` to the relay for `to`; answers whether it was held instead (no relay set).
pub(crate) async fn deliver(state: &AppState, to: &str, raw: &[u8]) -> Result<bool, SendFailure> {
    let settings = &state.settings.mail;
    let Some(relay) = &settings.relay else {
        return Ok(true);
    };
    relay
        .send(&settings.from, to, raw)
        .await
        .map_err(|e| match e {
            SendError::Temporary(why) => SendFailure::Temporary(why),
            SendError::Permanent(why) => SendFailure::Permanent(why),
        })?;
    Ok(false)
}

/// The domain of the desk's sender address, for Message-IDs.
pub(crate) fn mail_domain(state: &AppState) -> &str {
    state
        .settings
        .mail
        .from
        .rsplit('@')
        .next()
        .unwrap_or("amends.localhost")
        .trim_end_matches('>')
        .trim()
}

/// The Message-ID of notice `notice_id`: the same on every attempt, unique to this desk.
pub fn message_id(state: &AppState, case_id: i64, notice_id: i64) -> String {
    format!(
        "case{case_id}.notice{notice_id}.{}@{}",
        state.mail_tag,
        mail_domain(state)
    )
}

pub(crate) fn system_time(at: Timestamp) -> SystemTime {
    let millis = u64::try_from(at.millis()).unwrap_or(0);
    SystemTime::UNIX_EPOCH + Duration::from_millis(millis)
}

/// What one look at a mailbox did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MailboxRound {
    /// Mails taken in (filed, ignored, quarantined or recognised as seen).
    pub taken: usize,
}

/// Takes in every unseen mail of an open mailbox, flagging each seen once the desk has it.
pub async fn take_in_unseen(
    state: &AppState,
    mailbox: &mut Mailbox,
    source: &str,
) -> Result<MailboxRound, amends_mail::imap::ImapError> {
    let mut round = MailboxRound::default();
    for uid in mailbox.unseen().await? {
        let Some(raw) = mailbox.fetch(uid).await? else {
            continue;
        };
        let context = AuditContext {
            actor: amends_core::audit::Actor::System,
            at: state.clock.now(),
            remote_addr: None,
        };
        match take_in(state, &raw, source, &context).await {
            Ok(_) => {
                mailbox.mark_seen(uid).await?;
                round.taken += 1;
            }
            // The database is away: leave the mail unseen, it is taken next round.
            Err(error @ StoreError::Unavailable(_)) => {
                tracing::error!(%error, uid, %source, "a mail could not be taken in; will retry");
                return Ok(round);
            }
            // Anything else is about this mail (take_in quarantines what it can): leave it
            // unseen for a person and go on, so one mail never blocks its mailbox.
            Err(error) => {
                tracing::error!(%error, uid, %source, "a mail could not be taken in; skipped");
            }
        }
    }
    Ok(round)
}

/// Watches one mailbox until `shutdown`: takes in unseen mail, then waits (IDLE, or the poll
/// interval), reconnecting with back-off when the server goes away.
pub async fn watch_mailbox(state: AppState, url: MailboxUrl, mut shutdown: watch::Receiver<bool>) {
    let source = url.describe();
    let mut failures = 0u32;
    while !*shutdown.borrow() {
        let mut connected = false;
        let round = async {
            let mut mailbox = Mailbox::open(&url).await?;
            connected = true;
            loop {
                take_in_unseen(&state, &mut mailbox, &source).await?;
                mailbox = mailbox.wait(state.settings.mail.poll).await?;
            }
            #[allow(unreachable_code)]
            Ok::<(), amends_mail::imap::ImapError>(())
        };
        tokio::select! {
            result = round => {
                if let Err(error) = result {
                    failures = if connected { 1 } else { failures + 1 };
                    tracing::warn!(%error, mailbox = %source, "mailbox connection lost");
                }
            }
            _ = shutdown.changed() => break,
        }
        let delay = Duration::from_secs(2u64.pow(failures.min(6)));
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => break,
        }
    }
}
