-- Every server's consoles hear that the queue changed (a case opened or changed) when the
-- transaction commits, without a poll (issue 18): once a statement, not once a row, and the
-- payload is always the same, so PostgreSQL folds a transaction's many into one; the console
-- reads the queue again.
create function cases_announced() returns trigger language plpgsql as $$
begin
    perform pg_notify('amends_live', '{"kind":"desk","chat":0}');
    return null;
end;
$$;
create trigger cases_announced after insert or update on cases
    for each statement execute function cases_announced();
