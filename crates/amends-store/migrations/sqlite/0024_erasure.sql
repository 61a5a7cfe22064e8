-- Erasing a customer (issue 24). The audit trail stays append-only but for one change: an
-- entry about an erased customer's records may lose what it quoted (its `changes` emptied) and
-- a customer's address (`remote_addr` cleared). Who, when, what and which record stay.
drop trigger audit_events_no_update;
create trigger audit_events_no_update before update on audit_events
when not (
    new.id = old.id and new.actor_kind = old.actor_kind
    and new.actor_agent_id is old.actor_agent_id and new.action = old.action
    and new.record_kind = old.record_kind and new.record_id = old.record_id
    and new.created_at = old.created_at and new.changes = '[]'
    and (new.remote_addr is old.remote_addr or new.remote_addr is null)
)
begin
    select raise(abort, 'the audit trail is append-only');
end;

-- When a customer's personal data was erased; their figures (counts, times, amounts) stay.
alter table customers add column erased_at bigint;

-- When a case's content was erased (by the retention rule, or with its customer's data): the
-- case still counts in the figures; its words are gone.
alter table cases add column content_erased_at bigint;
create index cases_to_retire on cases (closed_at) where status = 'closed' and content_erased_at is null;
