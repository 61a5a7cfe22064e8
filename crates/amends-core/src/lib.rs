//! The domain of Amends: customers, cases, messages, agents, the queue, the recovery protocol
//! (facts, promises, compensation, follow-up, win-back, abuse policy) and the audit trail.
//!
//! This crate decides; it never does. It must not perform IO, spawn tasks, read the clock or
//! depend on sqlx, axum, tokio or any other amends crate. Time and ids come in as arguments, so
//! every rule here is a pure function that a plain `#[test]` can check.
//!
//! A workflow's function takes the records it concerns and answers the changed record and an
//! [`outcome::Outcome`]: the audit events and the effects (a notice to the customer worded by
//! [`wording`], an alert to someone in charge, a line on the case, a [`job::Job`] for later).
//! The store applies an outcome as it is; so an audit event, a notice wording or a job kind is
//! added here, and only here.
#![deny(missing_docs)]

pub mod abuse;
pub mod account;
pub mod agent;
pub mod audit;
pub mod bot;
pub mod canned;
pub mod case;
pub mod chat;
pub mod compensation;
pub mod conversation;
pub mod custom_field;
pub mod customer;
pub mod due;
pub mod events;
pub mod field;
pub mod figures;
pub mod follow_up;
pub mod hours;
pub mod incident;
pub mod job;
pub mod knowledge;
pub mod merge;
pub mod message;
pub mod messaging;
pub mod outcome;
pub mod plan;
pub mod promise;
pub mod protocol;
pub mod queue;
pub mod retry;
pub mod search;
pub mod standing;
pub mod status;
pub mod tag;
pub mod timestamp;
pub mod wording;

pub use agent::{Agent, AgentRole, CaseAccess, CaseSight};
pub use audit::{Actor, AuditAction, AuditEvent};
pub use case::{Case, CaseStatus, Channel, Priority};
pub use customer::{Customer, EmailAddress, PhoneNumber};
pub use field::FieldError;
pub use message::{Direction, Message};
pub use timestamp::Timestamp;

#[cfg(test)]
mod account_tests;
#[cfg(test)]
mod desk_tests;
#[cfg(test)]
mod protocol_tests;
#[cfg(test)]
mod tests;
