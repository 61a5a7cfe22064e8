//! Agents, their console sessions and their API tokens. Secrets arrive already hashed.

use amends_core::account::TokenScope;
use amends_core::audit::AuditContext;
use amends_core::{events, Agent, AgentRole, CaseAccess, Timestamp};
use sqlx::AnyConnection;

use crate::rows::{AgentRow, AGENT_COLUMNS};
use crate::{audit, Store, StoreError};

/// A validated new agent.
#[derive(Debug, Clone)]
pub struct NewAgent {
    /// Sign-in address, normalised.
    pub email: String,
    /// Display name.
    pub name: String,
    /// What they may do.
    pub role: AgentRole,
    /// Argon2id PHC string.
    pub password_hash: Option<String>,
    /// Compensation authority per case, in minor units.
    pub authority_limit_minor: i64,
    /// Who is told when their promise breaks.
    pub supervisor_id: Option<i64>,
    /// Which cases they may see.
    pub case_access: CaseAccess,
}

/// Where a session was opened from.
#[derive(Debug, Clone, Default)]
pub struct SessionOrigin {
    /// The client's address.
    pub remote_addr: Option<String>,
    /// Its browser, as it names itself (bounded).
    pub user_agent: Option<String>,
    /// Whether the session may only set up a second factor.
    pub enrol_only: bool,
}

/// A live console session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Its id, to list and end it.
    pub id: i64,
    /// Who is signed in.
    pub agent: Agent,
    /// The token forms and unsafe requests must carry.
    pub csrf_token: String,
    /// Whether it may only set up a second factor.
    pub enrol_only: bool,
    /// When it ends.
    pub expires_at: Timestamp,
    /// When it was last used (or made).
    pub last_seen_at: Timestamp,
}

/// An API token as listed (never its secret).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// The token's id.
    pub id: i64,
    /// Whose it is.
    pub agent_id: i64,
    /// What it is for.
    pub label: String,
    /// When made, epoch milliseconds.
    pub created_at: i64,
    /// When revoked, if it was.
    pub revoked_at: Option<i64>,
    /// When it stops working, if it does.
    pub expires_at: Option<i64>,
    /// What it may be used for: `full`, `read_only` or `intake`.
    pub scope: String,
    /// When it was last used (to the minute), if ever.
    pub last_used_at: Option<i64>,
    /// The address it was last used from.
    pub last_used_from: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    agent_id: i64,
    label: String,
    created_at: i64,
    revoked_at: Option<i64>,
    expires_at: Option<i64>,
    scope: String,
    last_used_at: Option<i64>,
    last_used_from: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TokenAgentRow {
    #[sqlx(flatten)]
    agent: AgentRow,
    scope: String,
    token_id: i64,
    last_used_at: Option<i64>,
}

const TOKEN_COLUMNS: &str =
    "id, agent_id, label, created_at, revoked_at, expires_at, scope, last_used_at, last_used_from";

impl Store {
    /// Records a new agent. A taken email is a [`StoreError::Conflict`].
    pub async fn create_agent(
        &self,
        agent: &NewAgent,
        context: &AuditContext,
    ) -> Result<Agent, StoreError> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "insert into agents (email, name, role, password_hash, authority_limit_minor, \
             supervisor_id, case_access, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             returning id",
        )
        .bind(&agent.email)
        .bind(&agent.name)
        .bind(agent.role.as_str())
        .bind(agent.password_hash.as_deref())
        .bind(agent.authority_limit_minor)
        .bind(agent.supervisor_id)
        .bind(agent.case_access.as_str())
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        let event = events::agent_created(id);
        audit::record(&mut tx, context, &[event]).await?;
        let created = load_agent(&mut tx, id).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// One agent.
    pub async fn agent(&self, id: i64) -> Result<Agent, StoreError> {
        let mut conn = self.read.acquire().await?;
        load_agent(&mut conn, id).await
    }

    /// Every agent, by name.
    pub async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        let rows: Vec<AgentRow> = sqlx::query_as(&format!(
            "select {AGENT_COLUMNS} from agents order by name, id"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Agent::try_from).collect()
    }

    /// An active agent and their password hash, by sign-in address.
    pub async fn agent_for_sign_in(
        &self,
        email: &str,
    ) -> Result<Option<(Agent, Option<String>)>, StoreError> {
        let row: Option<(i64, Option<String>)> =
            sqlx::query_as("select id, password_hash from agents where email = $1 and active = 1")
                .bind(email)
                .fetch_optional(&self.read)
                .await?;
        match row {
            Some((id, hash)) => Ok(Some((self.agent(id).await?, hash))),
            None => Ok(None),
        }
    }

    /// Starts a console session.
    pub async fn create_session(
        &self,
        agent_id: i64,
        token_hash: &str,
        csrf_token: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        let opened = SessionOrigin::default();
        self.create_session_from(agent_id, token_hash, csrf_token, (now, expires_at), &opened)
            .await
    }

    /// Starts a console session opened from `origin`; `times` are when it starts and ends.
    pub async fn create_session_from(
        &self,
        agent_id: i64,
        token_hash: &str,
        csrf_token: &str,
        (now, expires_at): (Timestamp, Timestamp),
        origin: &SessionOrigin,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "insert into sessions (token_hash, csrf_token, agent_id, expires_at, created_at, \
             updated_at, remote_addr, user_agent, enrol_only) \
             values ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
        )
        .bind(token_hash)
        .bind(csrf_token)
        .bind(agent_id)
        .bind(expires_at.millis())
        .bind(now.millis())
        .bind(origin.remote_addr.as_deref())
        .bind(origin.user_agent.as_deref())
        .bind(i64::from(origin.enrol_only))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The live session with this cookie hash, if any: not expired, used since `idle_since`,
    /// and its agent still active.
    pub async fn session(
        &self,
        token_hash: &str,
        now: Timestamp,
        idle_since: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        let row: Option<(i64, i64, String, i64, i64, i64)> = sqlx::query_as(
            "select sessions.id, sessions.agent_id, sessions.csrf_token, sessions.expires_at, \
             sessions.enrol_only, \
             case when sessions.last_seen_at > 0 then sessions.last_seen_at \
             else sessions.created_at end from sessions \
             join agents on agents.id = sessions.agent_id \
             where sessions.token_hash = $1 and sessions.expires_at > $2 and agents.active = 1",
        )
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.read)
        .await?;
        let Some((id, agent_id, csrf_token, expires_at, enrol_only, last_seen_at)) = row else {
            return Ok(None);
        };
        if last_seen_at < idle_since.millis() {
            return Ok(None);
        }
        Ok(Some(Session {
            id,
            agent: self.agent(agent_id).await?,
            csrf_token,
            enrol_only: enrol_only == 1,
            expires_at: Timestamp(expires_at),
            last_seen_at: Timestamp(last_seen_at),
        }))
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("delete from sessions where token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Records a new API token for `agent_id`, with its scope and, when it has one, expiry.
    pub async fn create_token(
        &self,
        agent_id: i64,
        token_hash: &str,
        label: &str,
        scope: TokenScope,
        expires_at: Option<Timestamp>,
        context: &AuditContext,
    ) -> Result<TokenInfo, StoreError> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "insert into api_tokens (token_hash, agent_id, label, scope, expires_at, created_at, \
             updated_at) values ($1, $2, $3, $4, $5, $6, $6) returning id",
        )
        .bind(token_hash)
        .bind(agent_id)
        .bind(label)
        .bind(scope.as_str())
        .bind(expires_at.map(Timestamp::millis))
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        let event = events::token_created(id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(TokenInfo {
            id,
            agent_id,
            label: label.to_owned(),
            created_at: context.at.millis(),
            revoked_at: None,
            expires_at: expires_at.map(Timestamp::millis),
            scope: scope.as_str().to_owned(),
            last_used_at: None,
            last_used_from: None,
        })
    }

    /// The active agent an unrevoked, unexpired token belongs to, and the token's scope.
    pub async fn agent_for_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(Agent, TokenScope)>, StoreError> {
        self.agent_for_token_from(token_hash, now, None).await
    }

    /// As [`Store::agent_for_token`], noting that the token was used now from `from`.
    pub async fn agent_for_token_from(
        &self,
        token_hash: &str,
        now: Timestamp,
        from: Option<&str>,
    ) -> Result<Option<(Agent, TokenScope)>, StoreError> {
        // One query, as before scopes: this runs on every request made with a token.
        let row: Option<TokenAgentRow> = sqlx::query_as(&format!(
            "select {AGENT_COLUMNS}, api_tokens.scope, api_tokens.id as token_id, \
             api_tokens.last_used_at from api_tokens \
             join agents on agents.id = api_tokens.agent_id \
             where api_tokens.token_hash = $1 and api_tokens.revoked_at is null \
             and (api_tokens.expires_at is null or api_tokens.expires_at > $2) and agents.active = 1"
        ))
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let scope = TokenScope::parse(&row.scope)
            .ok_or_else(|| StoreError::Corrupt(format!("token scope {:?}", row.scope)))?;
        // When and from where it was last used, written at most once a minute.
        if row.last_used_at.is_none_or(|at| now.millis() - at > 60_000) {
            sqlx::query(
                "update api_tokens set last_used_at = $1, last_used_from = $2 where id = $3",
            )
            .bind(now.millis())
            .bind(from)
            .bind(row.token_id)
            .execute(&self.write)
            .await?;
        }
        Ok(Some((Agent::try_from(row.agent)?, scope)))
    }

    /// The tokens of one agent, or of everyone.
    pub async fn tokens(&self, agent_id: Option<i64>) -> Result<Vec<TokenInfo>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as(&format!(
            "select {TOKEN_COLUMNS} from api_tokens where ($1 is null or agent_id = $1) order by id"
        ))
        .bind(agent_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(TokenInfo::from).collect())
    }

    /// Revokes a token; revoking twice changes nothing more.
    pub async fn revoke_token(
        &self,
        id: i64,
        context: &AuditContext,
    ) -> Result<TokenInfo, StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "update api_tokens set revoked_at = $1, updated_at = $1 where id = $2 and revoked_at is null",
        )
        .bind(context.at.millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            let event = events::token_revoked(id);
            audit::record(&mut tx, context, &[event]).await?;
        }
        let row: TokenRow = sqlx::query_as(&format!(
            "select {TOKEN_COLUMNS} from api_tokens where id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("token"))?;
        tx.commit().await?;
        Ok(TokenInfo::from(row))
    }
}

impl From<TokenRow> for TokenInfo {
    fn from(row: TokenRow) -> TokenInfo {
        TokenInfo {
            id: row.id,
            agent_id: row.agent_id,
            label: row.label,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            expires_at: row.expires_at,
            scope: row.scope,
            last_used_at: row.last_used_at,
            last_used_from: row.last_used_from,
        }
    }
}

pub(crate) async fn load_agent(conn: &mut AnyConnection, id: i64) -> Result<Agent, StoreError> {
    let row: AgentRow =
        sqlx::query_as(&format!("select {AGENT_COLUMNS} from agents where id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound("agent"))?;
    Agent::try_from(row)
}
