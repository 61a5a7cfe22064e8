//! What the API answers: JSON shapes of the server's own, each with its OpenAPI schema, built
//! from core and store records. A change in a core or store type changes these only through
//! their `From` conversions, never silently.

pub mod chat;
pub mod desk;
pub mod incidents;
pub mod knowledge;
pub mod outbox;
pub mod protocol;
pub mod search;
pub mod trail;

pub use desk::*;
pub use knowledge::*;
pub use outbox::*;
pub use protocol::*;
pub use search::*;
pub use trail::*;

/// A word of the core (a status, a channel, a kind) as the API spells it: the name it is stored
/// under, which cannot change without a migration, so the wire cannot change with a rename in
/// the core. Core types derive no `Serialize`; fields of these types say
/// `#[serde(serialize_with = "word")]` (or `maybe_word`, `words`).
pub trait Word {
    /// The stored name.
    fn word(&self) -> &'static str;
}

macro_rules! words_of {
    ($($word:ty),* $(,)?) => {
        $(impl Word for $word {
            fn word(&self) -> &'static str {
                self.as_str()
            }
        })*
    };
}

words_of!(
    amends_core::AgentRole,
    amends_core::CaseAccess,
    amends_core::CaseStatus,
    amends_core::Channel,
    amends_core::Direction,
    amends_core::Priority,
    amends_core::case::ResolutionKind,
    amends_core::case::WinBack,
    amends_core::compensation::CompensationKind,
    amends_core::compensation::CompensationState,
    amends_core::promise::PromiseKind,
    amends_core::promise::PromiseState,
    amends_core::protocol::FactSource,
    amends_core::protocol::PlanAnswer,
    amends_core::standing::StandingFlag,
);

pub(crate) fn word<S: serde::Serializer, W: Word>(word: &W, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_str(word.word())
}

pub(crate) fn maybe_word<S: serde::Serializer, W: Word>(
    word: &Option<W>,
    to: S,
) -> Result<S::Ok, S::Error> {
    match word {
        Some(word) => to.serialize_some(word.word()),
        None => to.serialize_none(),
    }
}

pub(crate) fn words<S: serde::Serializer, W: Word>(words: &[W], to: S) -> Result<S::Ok, S::Error> {
    to.collect_seq(words.iter().map(Word::word))
}

/// Every record of a list in its wire shape.
pub fn all<T, V: From<T>>(records: Vec<T>) -> Vec<V> {
    records.into_iter().map(V::from).collect()
}
