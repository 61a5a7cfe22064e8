-- A case that came from a public post or comment (issue 18), where anyone can read the
-- customer's words and the reply: a reputation risk, raised in the queue.
alter table cases add column public_post bigint not null default 0;
