//! Saved views: named queues and searches, an agent's own or shared with the team.

use amends_core::Timestamp;

use crate::{Store, StoreError};

/// A saved view.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SavedView {
    /// Its id.
    pub id: i64,
    /// Who saved it.
    pub agent_id: i64,
    /// Its name.
    pub name: String,
    /// The console address it opens.
    pub path: String,
    /// 1 when the whole team sees it.
    pub shared: i64,
}

impl Store {
    /// Saves a view; the agent's own name used twice is a `Conflict`.
    pub async fn save_view(
        &self,
        agent_id: i64,
        name: &str,
        path: &str,
        shared: bool,
        at: Timestamp,
    ) -> Result<SavedView, StoreError> {
        let view = sqlx::query_as(
            "insert into saved_views (agent_id, name, path, shared, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $5) returning id, agent_id, name, path, shared",
        )
        .bind(agent_id)
        .bind(name)
        .bind(path)
        .bind(i64::from(shared))
        .bind(at.millis())
        .fetch_one(&self.write)
        .await?;
        Ok(view)
    }

    /// The views `agent_id` sees: their own and the shared ones, by name.
    pub async fn views(&self, agent_id: i64) -> Result<Vec<SavedView>, StoreError> {
        let views = sqlx::query_as(
            "select id, agent_id, name, path, shared from saved_views where agent_id = $1 or \
             shared = 1 order by name, id",
        )
        .bind(agent_id)
        .fetch_all(&self.read)
        .await?;
        Ok(views)
    }

    /// One view.
    pub async fn view(&self, id: i64) -> Result<SavedView, StoreError> {
        sqlx::query_as("select id, agent_id, name, path, shared from saved_views where id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound("view"))
    }

    /// Removes a view.
    pub async fn remove_view(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("delete from saved_views where id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
