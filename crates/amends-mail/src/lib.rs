//! Email for the desk: reading what arrives (`intake`, pure), composing what goes out
//! (`compose`, pure, from the templates in `templates/`), sending over SMTP (`smtp`) and reading
//! mailboxes over IMAP (`imap`). No SQL and no HTTP: the store keeps the outbox and the intake
//! log, the server decides where a mail is filed.

pub mod address;
pub mod compose;
pub mod imap;
pub mod intake;
mod quote;
mod reference;
pub mod smtp;

pub use address::{can_be_mailed, Security, ServerUrl, UrlError};
pub use compose::{compose, compose_plain, Outgoing, PlainMail};
pub use imap::{Mailbox, MailboxUrl};
pub use intake::{read_mail, Attachment, InboundMail, Limits, Sender, Unreadable};
pub use quote::fresh_part;
pub use reference::{case_reference, subject_with_reference};
pub use smtp::{Mailer, SendError};

#[cfg(feature = "test-support")]
pub mod testing;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod limits_tests;
