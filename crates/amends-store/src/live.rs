//! How the servers of a PostgreSQL desk tell each other what just happened, so a customer
//! connected to one server and an agent connected to another see each other live: PostgreSQL's
//! LISTEN/NOTIFY on one channel. A notification is sent when its transaction commits (the
//! chat-line trigger of the migrations) or at once (`announce`, for what is not kept, such as
//! typing). On SQLite the desk is one server, which tells its own connections in memory.

use sqlx::postgres::PgListener;

use crate::{Store, StoreError};

/// The channel every server listens on.
const CHANNEL: &str = "amends_live";

/// What the other servers announce, as it comes.
pub struct LiveFeed {
    listener: PgListener,
}

impl LiveFeed {
    /// The next announcement's payload, or `None` when the connection was lost and made again:
    /// whatever was announced meanwhile was missed, so the listener reads again what it shows.
    pub async fn next(&mut self) -> Result<Option<String>, StoreError> {
        Ok(self
            .listener
            .try_recv()
            .await?
            .map(|notification| notification.payload().to_owned()))
    }
}

impl Store {
    /// A feed of every server's announcements on PostgreSQL; `None` on SQLite.
    pub async fn live_feed(&self) -> Result<Option<LiveFeed>, StoreError> {
        let Some(url) = &self.listen_url else {
            return Ok(None);
        };
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(LiveFeed { listener }))
    }

    /// Tells every server `payload` at once (PostgreSQL's limit is 8,000 bytes); nothing on
    /// SQLite.
    pub async fn announce(&self, payload: &str) -> Result<(), StoreError> {
        if self.listen_url.is_none() {
            return Ok(());
        }
        sqlx::query("select pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
