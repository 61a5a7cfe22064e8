//! Plain data access, one module per table: load, insert and save rows in the caller's
//! transaction. Nothing here decides anything or calls a workflow, and no table module uses
//! another.

pub(crate) mod cases;
pub(crate) mod jobs;
pub(crate) mod messages;
pub(crate) mod notices;
pub(crate) mod notifications;
pub(crate) mod promises;
pub(crate) mod staff_mails;

#[cfg(test)]
mod tests;
