-- The knowledge base (issue 20): articles with every revision, readers' votes, and the index
-- search reads. The index is the core's own (stems weighted by where they stand, and every
-- stem's spellings one letter short for forgiving slips), written by the transaction that
-- writes the article, so both databases find and rank the same articles.

-- The short columns first and the body last: SQLite reads a row's columns in order, and a
-- listing or a search's check of who may read an article should not read through its text.
create table articles (
    id integer primary key autoincrement,
    status text not null check (status in ('draft', 'published')),
    audience text not null check (audience in ('public', 'internal')),
    owner_id bigint references agents (id),
    revision bigint not null,
    reviewed_at bigint,
    helpful bigint not null default 0,
    unhelpful bigint not null default 0,
    words bigint not null,
    created_at bigint not null,
    updated_at bigint not null,
    category text not null,
    tags text not null default '',
    title text not null,
    body text not null
);
create index articles_by_category on articles (status, audience, category, id);

create table article_revisions (
    article_id bigint not null references articles (id),
    revision bigint not null,
    title text not null,
    body text not null,
    category text not null,
    tags text not null,
    status text not null,
    audience text not null,
    agent_id bigint references agents (id),
    created_at bigint not null,
    primary key (article_id, revision)
);

create table article_feedback (
    id integer primary key autoincrement,
    article_id bigint not null references articles (id),
    helpful bigint not null check (helpful in (0, 1)),
    comment text,
    created_at bigint not null
);
create index article_feedback_by_article on article_feedback (article_id, id);

-- How often each stem occurs in each article, weighted (title 3, tags and category 2, body 1),
-- with the article's weighted length and the stem's share of it (per million): a search reads
-- each stem's densest articles first and stops after a few hundred. `readers` says who may
-- read the article (2 the public: published and public; 1 agents: published and internal;
-- 0 its editors: a draft), so a search never reads the article to ask; `forms` the words the
-- stem stands in with their weights (`package:3 packages:1`), so the very word typed counts.
create table article_postings (
    stem text not null,
    article_id bigint not null references articles (id),
    weight bigint not null,
    length bigint not null,
    density bigint not null,
    readers bigint not null check (readers in (0, 1, 2)),
    forms text not null,
    primary key (stem, article_id)
);
create index article_postings_by_density on article_postings (stem, density desc, article_id);
create index article_postings_by_article on article_postings (article_id);

-- How many articles there are and their weighted words in all, kept by each write: the
-- ranking's average length without reading every article.
create table article_totals (
    id bigint primary key check (id = 1),
    articles bigint not null,
    words bigint not null
);
insert into article_totals (id, articles, words) values (1, 0, 0);

-- Every stem any article holds, with how many hold it.
create table article_stems (
    stem text primary key,
    articles bigint not null
);

-- A stem's spellings one letter short: a typed word one slip away shares one.
create table article_spellings (
    spelling text not null,
    stem text not null references article_stems (stem),
    primary key (spelling, stem)
);
create index article_spellings_by_stem on article_spellings (stem);

-- Calm questions that came in with no article answering them well: the knowledge base's gaps,
-- grouped by topic (the question's subject reduced to its sorted stems). The question is the
-- customer's words: exported with their data and erased with the case's content.
create table knowledge_gaps (
    id integer primary key autoincrement,
    case_id bigint not null references cases (id),
    topic text not null,
    question text not null,
    created_at bigint not null
);
create index knowledge_gaps_by_topic on knowledge_gaps (topic, id);
create index knowledge_gaps_by_case on knowledge_gaps (case_id);
