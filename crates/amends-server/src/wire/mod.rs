//! What the API answers: JSON shapes of the server's own, each with its OpenAPI schema, built
//! from core and store records. A change in a core or store type changes these only through
//! their `From` conversions, never silently.

pub mod desk;
pub mod outbox;
pub mod protocol;
pub mod trail;

pub use desk::*;
pub use outbox::*;
pub use protocol::*;
pub use trail::*;

/// Every record of a list in its wire shape.
pub fn all<T, V: From<T>>(records: Vec<T>) -> Vec<V> {
    records.into_iter().map(V::from).collect()
}
