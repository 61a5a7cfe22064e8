-- The console's "mine" view of the queue: an agent's open cases in queue order, without
-- reading every open case of the desk.
create index cases_queue_by_owner on cases (owner_id, urgency desc, opened_at, id)
    where status not in ('resolved', 'closed');
