-- Single sign-on through an OpenID provider (issue 24): a sign-in on its way through the
-- provider, found again by its state (by digest) when the provider sends the agent back, once.
create table sso_logins (
    id integer primary key autoincrement,
    state_hash text not null unique,
    pkce_verifier text not null,
    nonce text not null,
    next text not null,
    expires_at bigint not null,
    created_at bigint not null
);
