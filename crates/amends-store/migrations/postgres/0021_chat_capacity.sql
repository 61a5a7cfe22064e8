-- How many open chats an agent holds at once (issue 18); null: the desk's `[chat] capacity`.
alter table agents add column chat_capacity bigint;
