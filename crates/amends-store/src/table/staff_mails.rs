//! The `staff_mails` table: mail to the desk's own people, such as password reset links.

use amends_core::Timestamp;
use sqlx::AnyConnection;

use crate::StoreError;

/// Saves how a staff mail went out, with its job's completion.
pub(crate) async fn mark_out(
    conn: &mut AnyConnection,
    sent: &StaffMailSent,
    now: Timestamp,
) -> Result<(), StoreError> {
    let status = if sent.held { "held" } else { "sent" };
    sqlx::query(
        "update staff_mails set status = $1, mail = $2, updated_at = $3 \
         where id = $4 and status = 'queued'",
    )
    .bind(status)
    .bind(&sent.mail)
    .bind(now.millis())
    .bind(sent.staff_mail_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How a staff mail went out, saved with the job's completion.
#[derive(Debug, Clone)]
pub struct StaffMailSent {
    /// The mail.
    pub staff_mail_id: i64,
    /// The whole mail as sent.
    pub mail: String,
    /// Kept in the local outbox (no SMTP relay) rather than sent.
    pub held: bool,
}
