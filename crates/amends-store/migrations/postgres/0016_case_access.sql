-- Which cases an agent may see (issue 21): every case, the ones they own and the ones no one
-- owns, or only the ones they own. Supervisors and admins see every case whatever is stored.
alter table agents add column case_access text not null default 'all'
    check (case_access in ('all', 'owned_and_unowned', 'owned'));
