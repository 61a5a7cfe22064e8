-- Live chat on the business's own website (issue 18). A chat is a visitor's conversation, known
-- by the hash of the key their browser keeps; its first line opens a case on the chat channel,
-- and from then on every message on that case on the chat channel (the visitor's and the
-- agents' replies; never a note, a mail or a call) is a line of the chat, numbered in the order
-- it was written. The numbers let a browser that lost its
-- connection ask for what it missed, without a line lost or shown twice.
create table chats (
    id integer primary key autoincrement,
    key_hash text not null unique,
    case_id bigint unique references cases (id),
    customer_id bigint references customers (id),
    -- The name a signed-in visitor's site gave.
    visitor_name text,
    -- The host site's own id for a signed-in customer (its signature checked), or null.
    site_customer_id text,
    -- The address a visitor left when no agent was available: replies then go by mail.
    email text,
    by_email bigint not null default 0 check (by_email in (0, 1)),
    last_seq bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null
);

create table chat_lines (
    chat_id bigint not null references chats (id),
    seq bigint not null,
    message_id bigint not null unique references messages (id),
    primary key (chat_id, seq)
);

-- Every path that writes a chat message (the visitor's line, an agent's reply by the API or the
-- console) numbers it here, in its own transaction, so no path can forget to.
create trigger chat_lines_of_messages after insert on messages
    when new.direction <> 'note' and new.channel = 'chat' and exists (select 1 from chats where case_id = new.case_id)
begin
    update chats set last_seq = last_seq + 1, updated_at = new.created_at
        where case_id = new.case_id;
    insert into chat_lines (chat_id, seq, message_id)
        select id, last_seq, new.id from chats where case_id = new.case_id;
end;
