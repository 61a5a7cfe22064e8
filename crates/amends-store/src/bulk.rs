//! Work on many cases at once: one change (owner, status, tags) to each of a selection, all in
//! one transaction, so a selection is changed whole or not at all; and the same change to one
//! case inside another workflow's transaction (a canned reply's actions).

use amends_core::audit::{AuditContext, AuditEvent};
use amends_core::outcome::Outcome;
use amends_core::tag::Tag;
use amends_core::{conversation, Case, FieldError};
use sqlx::AnyConnection;

use crate::apply::apply;
use crate::table::cases::{load_case, refresh_case, save_case};
use crate::tags::{tags_of, write_tags, Tagged};
use crate::{audit, Backend, Store, StoreError};

impl Store {
    /// Changes each case of `ids` as `decide` says and gives it the tags `retag` answers for
    /// its current ones. A case missing or refusing the change refuses the whole selection,
    /// naming it as `case_ids[i]`, and nothing is written.
    pub async fn change_cases(
        &self,
        ids: &[i64],
        context: &AuditContext,
        decide: impl Fn(&Case) -> Result<(Case, Vec<AuditEvent>), FieldError>,
        retag: impl Fn(i64, &[Tag]) -> (Vec<Tag>, Option<AuditEvent>),
    ) -> Result<Vec<Case>, StoreError> {
        let mut tx = self.write.begin().await?;
        let mut changed = Vec::with_capacity(ids.len());
        for (i, &id) in ids.iter().enumerate() {
            let field = format!("case_ids[{i}]");
            let (case, _) = self
                .change_one(&mut tx, id, Some(&field), context, &decide, |before| {
                    retag(id, before)
                })
                .await?;
            changed.push(case);
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Changes case `id` as `decide` says and gives it the tags `retag` answers for its current
    /// ones, within the caller's transaction; answers the case and its tags after. With a
    /// `field`, a missing case or a refused change is named as that field (a selection's
    /// `case_ids[i]`).
    pub(crate) async fn change_one(
        &self,
        tx: &mut AnyConnection,
        id: i64,
        field: Option<&str>,
        context: &AuditContext,
        decide: impl FnOnce(&Case) -> Result<(Case, Vec<AuditEvent>), FieldError>,
        retag: impl FnOnce(&[Tag]) -> (Vec<Tag>, Option<AuditEvent>),
    ) -> Result<(Case, Vec<Tag>), StoreError> {
        let lock = self.backend == Backend::Postgres;
        let case = match (load_case(&mut *tx, id, lock).await, field) {
            (Err(StoreError::NotFound(_)), Some(field)) => {
                return Err(FieldError::new(field, format!("case #{id} does not exist")).into())
            }
            (other, _) => other?,
        };
        let (next, events) = decide(&case).map_err(|e| match field {
            Some(field) => FieldError::new(field, format!("case #{id}: {}", e.message)),
            None => e,
        })?;
        if let Some(owner_id) = next.owner_id.filter(|o| Some(*o) != case.owner_id) {
            crate::agents::load_agent(&mut *tx, owner_id)
                .await
                .map_err(|_| FieldError::new("owner_id", "no such agent"))?;
        }
        if !events.is_empty() {
            save_case(&mut *tx, &next).await?;
            let delay = self.timing.follow_up_delay_millis;
            let outcome = Outcome {
                events,
                effects: conversation::follow_up_of(&case, &next, None, delay)
                    .into_iter()
                    .collect(),
            };
            apply(&mut *tx, context, outcome).await?;
        }
        let before = tags_of(&mut *tx, Tagged::Case(id)).await?;
        let (after, event) = retag(&before);
        if let Some(event) = event {
            write_tags(&mut *tx, Tagged::Case(id), &after, context.at).await?;
            audit::record(&mut *tx, context, &[event]).await?;
        }
        Ok((refresh_case(&mut *tx, id, context.at).await?, after))
    }
}
