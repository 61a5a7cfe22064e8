//! The knowledge base: articles customers read in the help centre before they write in, and
//! internal ones agents read while they answer. An article is written in Markdown, kept with
//! every revision (who changed what), published or left a draft, and reviewed now and then;
//! readers say whether it answered their question, and the article's owner hears of it.

use crate::agent::AgentRole;
use crate::audit::{AuditEvent, Change, RecordKind};
use crate::field::{bounded_text, FieldError};
use crate::message::Reading;
use crate::outcome::{Effect, NoticeKind, Outcome};
use crate::tag::Tag;
use crate::wording;
use crate::Timestamp;

mod stop_words;
pub mod words;

/// The longest article body, in characters.
pub const MAX_BODY_CHARS: usize = 100_000;

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// The longest category name, in characters.
pub const MAX_CATEGORY_CHARS: usize = 80;

/// The most tags an article carries.
pub const MAX_TAGS: usize = 20;

/// The longest comment a reader leaves with a vote, in characters.
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// Whether readers can see an article yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArticleStatus {
    /// Being written; only agents see it, in the knowledge base's list.
    Draft,
    /// Readable, and found by search.
    Published,
}

impl ArticleStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Published => "published",
        }
    }

    /// Parses `draft` or `published`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "draft" => Some(ArticleStatus::Draft),
            "published" => Some(ArticleStatus::Published),
            _ => None,
        }
    }
}

/// Who may read an article once published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Anyone, in the public help centre.
    Public,
    /// Agents only: how the team does a thing.
    Internal,
}

impl Audience {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Internal => "internal",
        }
    }

    /// Parses `public` or `internal`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "public" => Some(Audience::Public),
            "internal" => Some(Audience::Internal),
            _ => None,
        }
    }
}

/// An article as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its text, in Markdown.
    pub body: String,
    /// The category it is listed under.
    pub category: String,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// Draft or published.
    pub status: ArticleStatus,
    /// Public or internal.
    pub audience: Audience,
    /// The agent who answers for it: told of readers' votes and comments.
    pub owner_id: Option<i64>,
    /// Its revision, from 1; every change adds one.
    pub revision: i64,
    /// When someone last confirmed it is still right.
    pub reviewed_at: Option<Timestamp>,
    /// Readers it answered.
    pub helpful: i64,
    /// Readers it did not.
    pub unhelpful: i64,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Article {
    /// Whether a reader of the public help centre may see it.
    pub fn is_public(&self) -> bool {
        self.status == ArticleStatus::Published && self.audience == Audience::Public
    }

    /// The words of its address after the id: `/help/articles/12-how-refunds-work`.
    pub fn slug(&self) -> String {
        slug(&self.title)
    }
}

/// One revision of an article: what it said, and who made it say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRevision {
    /// The revision, from 1.
    pub revision: i64,
    /// Its title then.
    pub title: String,
    /// Its Markdown then.
    pub body: String,
    /// Its category then.
    pub category: String,
    /// Its tags then.
    pub tags: Vec<Tag>,
    /// Draft or published then.
    pub status: ArticleStatus,
    /// Public or internal then.
    pub audience: Audience,
    /// Who wrote it (none when the desk or the shell did).
    pub agent_id: Option<i64>,
    /// When.
    pub created_at: Timestamp,
}

/// Who is searching or browsing the articles, and so which they may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readers {
    /// The public help centre: published public articles.
    Public,
    /// Agents answering: every published article, internal ones too.
    Agents,
    /// Agents keeping the knowledge base: drafts too.
    Editors,
}

impl Readers {
    /// The least openness of an article these readers may see: 2 for the public's (published
    /// and public), 1 for agents' (published), 0 for editors' (drafts too). See [`openness`].
    pub fn least_openness(self) -> i64 {
        match self {
            Readers::Public => 2,
            Readers::Agents => 1,
            Readers::Editors => 0,
        }
    }
}

/// Who may read an article with `status` and `audience`: 2 the public, 1 agents, 0 only its
/// editors. Readers see what is at least their [`Readers::least_openness`].
pub fn openness(status: ArticleStatus, audience: Audience) -> i64 {
    match (status, audience) {
        (ArticleStatus::Draft, _) => 0,
        (ArticleStatus::Published, Audience::Internal) => 1,
        (ArticleStatus::Published, Audience::Public) => 2,
    }
}

/// An article as written, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleDraft {
    /// Its title.
    pub title: String,
    /// Its Markdown.
    pub body: String,
    /// Its category.
    pub category: String,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// Draft or published.
    pub status: ArticleStatus,
    /// Public or internal.
    pub audience: Audience,
    /// Its owner.
    pub owner_id: Option<i64>,
}

impl ArticleDraft {
    /// Validates an article: a title of 1 to 200 characters on one line, a body of at most
    /// 100,000, a category of at most 80 (empty is "General"), at most 20 tags.
    pub fn parse(
        title: &str,
        body: &str,
        category: &str,
        tags: &[String],
        status: ArticleStatus,
        audience: Audience,
        owner_id: Option<i64>,
    ) -> Result<Self, FieldError> {
        let title = bounded_text("title", title, MAX_TITLE_CHARS, false)?;
        let body = bounded_text("body", body, MAX_BODY_CHARS, true)?;
        let category = if category.trim().is_empty() {
            "General".to_owned()
        } else {
            bounded_text("category", category, MAX_CATEGORY_CHARS, false)?
        };
        if tags.len() > MAX_TAGS {
            return Err(FieldError::new(
                "tags",
                format!("must be at most {MAX_TAGS}"),
            ));
        }
        let mut parsed: Vec<Tag> = Vec::new();
        for tag in tags {
            let tag = Tag::parse("tags", tag)?;
            if !parsed.contains(&tag) {
                parsed.push(tag);
            }
        }
        Ok(ArticleDraft {
            title,
            body,
            category,
            tags: parsed,
            status,
            audience,
            owner_id,
        })
    }
}

/// Whether `role` may write an article with `status`: every agent drafts; supervisors and
/// admins publish, and change what is published, so what customers read has been seen by
/// someone in charge.
pub fn may_write(role: AgentRole, before: Option<ArticleStatus>, after: ArticleStatus) -> bool {
    role != AgentRole::Agent
        || (after == ArticleStatus::Draft && before != Some(ArticleStatus::Published))
}

/// The audit event of an article written or revised: what changed, field by field (the body
/// by its length, which an audit line can hold).
pub fn article_event(before: Option<&Article>, after: &Article) -> AuditEvent {
    let Some(before) = before else {
        return AuditEvent::new("article.written", RecordKind::Article, after.id).with_changes(
            vec![
                Change::new("title", "", after.title.as_str()),
                Change::new("status", "", after.status.as_str()),
            ],
        );
    };
    let length = |a: &Article| format!("{} characters", a.body.chars().count());
    let body = match (before.body == after.body, length(before) == length(after)) {
        (true, _) => None,
        (false, true) => Some(Change::new("body", "rewritten", "rewritten")),
        (false, false) => Some(Change::new("body", length(before), length(after))),
    };
    let owner = |a: &Article| a.owner_id.map_or(String::new(), |id| id.to_string());
    let changes: Vec<Change> = [
        changed("title", &before.title, &after.title),
        body,
        changed("category", &before.category, &after.category),
        changed("tags", &tags_text(&before.tags), &tags_text(&after.tags)),
        changed("status", before.status.as_str(), after.status.as_str()),
        changed(
            "audience",
            before.audience.as_str(),
            after.audience.as_str(),
        ),
        changed("owner", &owner(before), &owner(after)),
    ]
    .into_iter()
    .flatten()
    .collect();
    AuditEvent::new("article.revised", RecordKind::Article, after.id).with_changes(changes)
}

fn changed(field: &str, from: &str, to: &str) -> Option<Change> {
    (from != to).then(|| Change::new(field, from, to))
}

/// The audit event of an article confirmed still right.
pub fn reviewed_event(article: &Article, at: Timestamp) -> AuditEvent {
    AuditEvent::new("article.reviewed", RecordKind::Article, article.id).with_changes(vec![
        Change::new(
            "reviewed_at",
            article
                .reviewed_at
                .map_or(String::new(), |t| t.millis().to_string()),
            at.millis().to_string(),
        ),
    ])
}

/// Tags as stored: one space between each.
pub fn tags_text(tags: &[Tag]) -> String {
    tags.iter().map(Tag::as_str).collect::<Vec<_>>().join(" ")
}

/// The lowercase ASCII words of `title` joined by hyphens, at most 60 characters: an
/// address's readable part (the id finds the article; the words only tell a person what it is).
pub fn slug(title: &str) -> String {
    let mut slug = String::new();
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if slug.len() + word.len() + 1 > 60 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    slug
}

/// The most articles an acknowledgement sends.
pub const ACKNOWLEDGED_ARTICLES: usize = 3;

/// What the engine read in a question beyond the [`Reading`]: whether it is a complaint, and
/// whether its tone is calm (the engine's own label, not merely short of angry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tone {
    /// A complaint, whatever the anger.
    pub complaint: bool,
    /// Read as calm.
    pub calm: bool,
}

/// Whether a new case may be acknowledged with articles: only a calm question. An upset
/// customer, a complaint, a threat to leave or abuse always goes to a person first, and is
/// never answered by a machine, however helpful the articles.
pub fn may_acknowledge(reading: &Reading, tone: Tone) -> bool {
    tone.calm
        && !tone.complaint
        && !reading.abusive
        && !reading.churn_threat
        && reading.anger_permille < crate::queue::ANGRY_PERMILLE
}

/// The acknowledgement of case `case_id` with `articles` (title and full address), when the
/// reading allows one and there is an article to send: the notice, and its audit entry naming
/// how many articles went.
pub fn acknowledgement(
    case_id: i64,
    subject: &str,
    reading: &Reading,
    tone: Tone,
    articles: &[(String, String)],
) -> Option<Outcome> {
    if !may_acknowledge(reading, tone) || articles.is_empty() {
        return None;
    }
    let shown = &articles[..articles.len().min(ACKNOWLEDGED_ARTICLES)];
    let event = AuditEvent::new("case.articles_suggested", RecordKind::Case, case_id)
        .with_changes(vec![Change::new("articles", "", shown.len().to_string())]);
    Some(Outcome::event(event).and(Effect::NotifyCustomer {
        case_id,
        kind: NoticeKind::ArticlesSuggested,
        wording: wording::articles_suggested(subject, shown),
    }))
}

/// A reader's answer to "did this answer your question?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// Whether it did.
    pub helpful: bool,
    /// What they added, if anything.
    pub comment: Option<String>,
}

impl Feedback {
    /// Validates a vote and its optional comment (at most 2,000 characters).
    pub fn parse(helpful: bool, comment: Option<&str>) -> Result<Self, FieldError> {
        let comment = match comment.map(str::trim).filter(|c| !c.is_empty()) {
            Some(text) => Some(bounded_text("comment", text, MAX_COMMENT_CHARS, true)?),
            None => None,
        };
        Ok(Feedback { helpful, comment })
    }

    /// What the article's owner is told: only a vote that it did not help, or a comment, is
    /// worth their attention; a plain "yes" is counted and no more.
    pub fn notification(&self, article: &Article) -> Option<String> {
        match (&self.comment, self.helpful) {
            (None, true) => None,
            (None, false) => Some(format!(
                "A reader said \u{201c}{}\u{201d} did not answer their question.",
                article.title
            )),
            (Some(comment), helpful) => Some(format!(
                "A reader of \u{201c}{}\u{201d} ({}) wrote: {comment}",
                article.title,
                if helpful {
                    "it helped"
                } else {
                    "it did not help"
                }
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(title: &str) -> Result<ArticleDraft, FieldError> {
        ArticleDraft::parse(
            title,
            "Body",
            "",
            &["Refunds".into(), "refunds".into()],
            ArticleStatus::Draft,
            Audience::Public,
            None,
        )
    }

    #[test]
    fn an_article_is_bounded_and_its_tags_are_kept_once() {
        let ok = draft("How refunds work").unwrap();
        assert_eq!(ok.category, "General");
        assert_eq!(tags_text(&ok.tags), "refunds");
        assert_eq!(draft(" ").unwrap_err().field, "title");
        assert_eq!(draft(&"x".repeat(201)).unwrap_err().field, "title");
        assert_eq!(draft("Two\nlines").unwrap_err().field, "title");
    }

    #[test]
    fn only_those_in_charge_publish() {
        use ArticleStatus::*;
        assert!(may_write(AgentRole::Agent, None, Draft));
        assert!(may_write(AgentRole::Agent, Some(Draft), Draft));
        assert!(!may_write(AgentRole::Agent, Some(Draft), Published));
        assert!(!may_write(AgentRole::Agent, Some(Published), Draft));
        assert!(may_write(AgentRole::Supervisor, Some(Draft), Published));
        assert!(may_write(AgentRole::Admin, Some(Published), Draft));
    }

    const QUIET: Tone = Tone {
        complaint: false,
        calm: true,
    };

    #[test]
    fn only_a_calm_question_is_acknowledged_with_articles() {
        let calm = Reading {
            anger_permille: 50,
            abusive: false,
            churn_threat: false,
            assessment_json: String::new(),
        };
        let articles = vec![(
            "Tracking".to_owned(),
            "https://desk.test/help/articles/1".to_owned(),
        )];
        let sent = acknowledgement(7, "Parcel", &calm, QUIET, &articles).map(|o| o.effects);
        let Some(
            [Effect::NotifyCustomer {
                case_id,
                kind,
                wording,
            }],
        ) = sent.as_deref()
        else {
            panic!("a calm question with an article is acknowledged");
        };
        assert_eq!((*case_id, *kind), (7, NoticeKind::ArticlesSuggested));
        assert!(wording
            .body
            .contains("Tracking: https://desk.test/help/articles/1"));
        assert!(wording.body.contains("A person will read your message"));
        assert!(acknowledgement(7, "Parcel", &calm, QUIET, &[]).is_none());
        for tone in [
            Tone {
                complaint: true,
                ..QUIET
            },
            Tone {
                calm: false,
                ..QUIET
            },
        ] {
            assert!(
                acknowledgement(7, "Parcel", &calm, tone, &articles).is_none(),
                "{tone:?}"
            );
        }
        for upset in [
            Reading {
                anger_permille: crate::queue::ANGRY_PERMILLE,
                ..calm.clone()
            },
            Reading {
                abusive: true,
                ..calm.clone()
            },
            Reading {
                churn_threat: true,
                ..calm.clone()
            },
        ] {
            assert!(
                acknowledgement(7, "Parcel", &upset, QUIET, &articles).is_none(),
                "{upset:?}"
            );
        }
    }

    #[test]
    fn a_slug_is_plain_words() {
        assert_eq!(
            slug("Where's my parcel? (UK & EU)"),
            "where-s-my-parcel-uk-eu"
        );
        assert_eq!(slug("Ünïcode only"), "n-code-only");
        assert!(slug(&"word ".repeat(40)).len() <= 60);
    }

    #[test]
    fn the_owner_hears_of_what_did_not_help_and_of_comments() {
        let article = Article {
            id: 1,
            title: "Refunds".into(),
            body: "b".into(),
            category: "Billing".into(),
            tags: Vec::new(),
            status: ArticleStatus::Published,
            audience: Audience::Public,
            owner_id: Some(2),
            revision: 1,
            reviewed_at: None,
            helpful: 0,
            unhelpful: 0,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        };
        let yes = Feedback::parse(true, Some("  ")).unwrap();
        assert_eq!(yes.notification(&article), None);
        let no = Feedback::parse(false, None).unwrap();
        assert!(no
            .notification(&article)
            .unwrap()
            .contains("did not answer"));
        let said = Feedback::parse(true, Some("Add the form link")).unwrap();
        assert!(said
            .notification(&article)
            .unwrap()
            .contains("Add the form link"));
        assert!(Feedback::parse(true, Some(&"x".repeat(2_001))).is_err());
        let mut revised = article.clone();
        revised.body = "c".into();
        revised.status = ArticleStatus::Draft;
        let event = article_event(Some(&article), &revised);
        let fields: Vec<&str> = event.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["body", "status"]);
    }
}
