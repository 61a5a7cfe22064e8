//! The text engine of Amends: it reads a customer's message (how upset, whether a complaint
//! and about what, churn threat, abuse at staff, public or legal threats, money, what they ask
//! for, urgency) and coaches an agent's draft reply, always with the byte spans of the words
//! that drove each finding.
//!
//! It is a pure function of the text and a [`Model`]: no IO, no async, no clock, no network, no
//! other amends crate, and the same input always gives the same output. Explainable findings
//! come from phrase lists kept as data (`lexicon/en/`); negativity, complaint, offensive
//! language and category come from logistic-regression heads over hashed n-grams, trained by
//! [`train`] and embedded from `model/en.bin`. An optional sentence [`encoder`] (a small
//! pretrained transformer whose weights the caller loads) adds its reading to the complaint head.
#![deny(missing_docs)]

mod assess;
mod coach;
pub mod encoder;
pub mod features;
mod feeling;
pub mod judge;
pub mod lexicon;
pub mod linear;
mod model;
mod offence;
mod optimise;
mod public;
pub mod text;
pub mod train;

pub use assess::{assess, assess_with, AngerLabel, Assessment, Category, Evidence, Resolution};
pub use coach::{coach, CoachContext, Coaching, Finding, FindingKind, Severity, Strength};
pub use model::Model;

#[cfg(test)]
mod public_tests;
#[cfg(test)]
mod tests;
