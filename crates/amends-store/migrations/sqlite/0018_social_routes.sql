-- How a reply on a case from a messaging app reaches its customer (issue 18): the provider's
-- API, the customer there, and the business's number or account written to, as the latest
-- message from the customer named them. An agent's reply on such a case is sent by a durable
-- job (`social.send`) through this route.
create table social_routes (
    case_id bigint primary key references cases (id),
    via text not null,
    recipient text not null,
    sender text,
    updated_at bigint not null
);
