//! `amends bench-intake`: how fast mail is taken in from a local mailbox. Writes a maildir of
//! realistic mail (new complaints from many customers, replies threading into them, auto-
//! replies, mail with attachments, several charsets) when the folder is empty, then reads it
//! and times parsing alone, and parsing and filing through the store, as the IMAP watcher
//! does (one mail after another). A measurement, not a test: it asserts nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use amends_core::audit::{Actor, AuditContext};
use amends_server::{AppState, Clock, ServerSettings, SystemClock};
use amends_store::{Intake, Store};
use anyhow::{bail, Context};
use clap::Args;

/// What to measure.
#[derive(Args)]
pub(crate) struct IntakeBenchArgs {
    /// An empty database: `sqlite:PATH` or `postgres://…/DB`.
    #[arg(long)]
    database: String,
    /// The maildir to read; written first when it holds no mail.
    #[arg(long, default_value = "target/bench-maildir")]
    maildir: PathBuf,
    /// How many mails to write into an empty maildir.
    #[arg(long, default_value_t = 10_000)]
    mails: usize,
}

pub(crate) async fn run(args: IntakeBenchArgs) -> anyhow::Result<()> {
    let files = mail_files(&args.maildir)?;
    if files.is_empty() {
        write_maildir(&args.maildir, args.mails)?;
    }
    let files = mail_files(&args.maildir)?;
    let mails: Vec<Vec<u8>> = files
        .iter()
        .map(std::fs::read)
        .collect::<Result<_, _>>()
        .context("reading the maildir")?;
    let bytes: usize = mails.iter().map(Vec::len).sum();
    eprintln!(
        "{} mails, {:.1} MiB, from {}",
        mails.len(),
        bytes as f64 / 1_048_576.0,
        args.maildir.display()
    );

    let limits = amends_mail::Limits::default();
    let started = Instant::now();
    let mut readable = 0;
    for raw in &mails {
        readable += usize::from(amends_mail::read_mail(raw, &limits).is_ok());
    }
    let parse = started.elapsed().as_secs_f64();

    let store = Store::connect(&args.database)
        .await
        .context("opening the bench database")?;
    store.migrate().await?;
    if !store.is_empty().await? {
        bail!("the bench needs an empty database so its figures are comparable");
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let state = AppState::new(store.clone(), clock.clone(), ServerSettings::default()).await?;
    let (mut filed, mut threaded, mut duplicate, mut ignored, mut quarantined) = (0, 0, 0, 0, 0);
    let started = Instant::now();
    for raw in &mails {
        let context = AuditContext {
            actor: Actor::System,
            at: clock.now(),
            remote_addr: None,
        };
        match amends_server::mailroom::take_in(&state, raw, "maildir", &context).await? {
            Intake::Filed { new_case: true, .. } => filed += 1,
            Intake::Filed { .. } => threaded += 1,
            Intake::Duplicate { .. } => duplicate += 1,
            Intake::Ignored { .. } => ignored += 1,
            Intake::Quarantined { .. } => quarantined += 1,
        }
    }
    let file = started.elapsed().as_secs_f64();
    let backend = if args.database.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    eprintln!("| step | backend | mails | seconds | mails/s |");
    eprintln!("|---|---|---|---|---|");
    eprintln!(
        "| parse only | - | {} | {parse:.2} | {:.0} |",
        mails.len(),
        mails.len() as f64 / parse
    );
    eprintln!(
        "| parse, read with the engine, file | {backend} | {} | {file:.2} | {:.0} |",
        mails.len(),
        mails.len() as f64 / file
    );
    eprintln!(
        "outcomes: {filed} new cases, {threaded} threaded into a case, {duplicate} duplicates, \
         {ignored} ignored (auto-replies), {quarantined} quarantined; {readable} readable"
    );
    store.close().await;
    Ok(())
}

fn mail_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let new = dir.join("new");
    if !new.exists() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&new)?
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    Ok(files)
}

const COMPLAINTS: [&str; 6] = [
    "My parcel never arrived and nobody answers the phone. I want a refund.",
    "You charged me twice this month. Fix it or I am cancelling my subscription.",
    "The kettle you sold me leaks after two days. I expect a replacement.",
    "Your driver was rude to my mother and left the box in the rain.",
    "I have waited three weeks for the engineer. This is the last time I use you.",
    "The invoice is wrong again, please call me back today.",
];

/// Writes `count` mails into `dir/new`, the same ones every time.
fn write_maildir(dir: &Path, count: usize) -> anyhow::Result<()> {
    let new = dir.join("new");
    std::fs::create_dir_all(&new)?;
    for sub in ["cur", "tmp"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let attachment = "QUJD".repeat(50 * 1024 / 4);
    for n in 0..count {
        let customer = n % 2_000;
        let from = format!("Customer {customer} <customer{customer}@example.com>");
        let complaint = COMPLAINTS[n % COMPLAINTS.len()];
        let raw = match n % 20 {
            // A reply to the customer's own first mail, threading by In-Reply-To.
            1..=4 if n >= 2_000 => format!(
                "From: {from}\r\nSubject: Re: complaint {customer}\r\nMessage-ID: <m{n}@example.com>\r\n\
                 In-Reply-To: <m{customer}@example.com>\r\nReferences: <m{customer}@example.com>\r\n\r\n\
                 Any news? It has been days.\r\n\r\nOn Monday you wrote:\r\n> We are looking into it.\r\n"
            ),
            5 => format!(
                "From: {from}\r\nSubject: Automatic reply: away\r\nAuto-Submitted: auto-replied\r\n\
                 Message-ID: <m{n}@example.com>\r\n\r\nI am out of the office.\r\n"
            ),
            6 => format!(
                "From: {from}\r\nSubject: complaint {customer}\r\nMessage-ID: <m{n}@example.com>\r\n\
                 MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\n{complaint} Photo attached.\r\n--b\r\n\
                 Content-Type: image/jpeg; name=\"photo.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
                 {attachment}\r\n--b--\r\n"
            ),
            7 => format!(
                "From: {from}\r\nSubject: =?ISO-8859-1?Q?R=E9clamation_{customer}?=\r\n\
                 Message-ID: <m{n}@example.com>\r\nMIME-Version: 1.0\r\n\
                 Content-Type: text/html; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                 <p>La livraison est arriv=E9e cass=E9e. <b>Remboursez-moi.</b></p>\r\n"
            ),
            _ => format!(
                "From: {from}\r\nSubject: complaint {customer}\r\nMessage-ID: <m{n}@example.com>\r\n\
                 Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                 Hello,\r\n\r\n{complaint}\r\n\r\nRegards,\r\nCustomer {customer}\r\n"
            ),
        };
        std::fs::write(new.join(format!("{n:06}.eml")), raw)?;
    }
    Ok(())
}
