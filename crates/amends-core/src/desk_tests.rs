use crate::search::{rank, snippet, ContactFilter, Found, OwnerFilter, Place, SearchQuery, Term};
use crate::{CaseStatus, Channel, Timestamp};

fn word(text: &str) -> Term {
    Term::Word {
        text: text.to_owned(),
        prefix: false,
    }
}

#[test]
fn words_phrases_and_filters_are_read_apart() {
    let query = SearchQuery::parse(
        r#"Refund "never arrived" status:open channel:chat owner:me angry ORDER-42 parc*"#,
    )
    .unwrap();
    assert_eq!(
        query.terms,
        vec![
            word("refund"),
            Term::Phrase(vec!["never".into(), "arrived".into()]),
            Term::Phrase(vec!["order".into(), "42".into()]),
            Term::Word {
                text: "parc".into(),
                prefix: true
            },
        ]
    );
    assert_eq!(query.filters.status, Some(CaseStatus::Open));
    assert_eq!(query.filters.channel, Some(Channel::Chat));
    assert_eq!(query.filters.owner, Some(OwnerFilter::Me));
    assert!(query.filters.angry && !query.filters.churn);
    assert_eq!(query.phone, None);
}

#[test]
fn dates_customers_and_owners_take_their_own_forms() {
    let query = SearchQuery::parse(
        "after:2026-11-01 before:2026-11-08 customer:Bo@Example.com owner:ana@example.com is:churn tag:VIP",
    )
    .unwrap();
    assert!(query.terms.is_empty());
    assert_eq!(
        query.filters.after,
        Timestamp::parse_rfc3339("2026-11-01T00:00:00Z")
    );
    assert_eq!(
        query.filters.before,
        Timestamp::parse_rfc3339("2026-11-08T00:00:00Z")
    );
    assert!(matches!(
        query.filters.customer,
        Some(ContactFilter::Email(ref e)) if e.as_str() == "bo@example.com"
    ));
    assert!(matches!(query.filters.owner, Some(OwnerFilter::Agent(_))));
    assert!(query.filters.churn);
    assert_eq!(query.filters.tags[0].as_str(), "vip");
    let phone = SearchQuery::parse("customer:+44 20").unwrap_err();
    assert_eq!(phone.field, "q");
}

#[test]
fn a_phone_number_is_keyed_by_its_last_ten_digits_however_written() {
    let national = SearchQuery::parse("(020) 7946-0958").unwrap();
    let international = SearchQuery::parse("+44 20 7946 0958").unwrap();
    assert_eq!(national.phone.as_deref(), Some("2079460958"));
    assert_eq!(international.phone.as_deref(), Some("2079460958"));
    assert_eq!(SearchQuery::parse("order 20794609").unwrap().phone, None);
}

#[test]
fn bad_searches_are_refused_with_a_reason() {
    for bad in [
        "",
        "   ",
        "status:lost",
        "is:happy",
        "after:yesterday",
        "\"\"",
    ] {
        let error = SearchQuery::parse(bad).unwrap_err();
        assert_eq!(error.field, "q", "{bad}");
        assert!(!error.message.is_empty());
    }
    assert!(SearchQuery::parse(&"a ".repeat(300)).is_err());
    assert!(SearchQuery::parse(&"word ".repeat(17)).is_err());
    // Any other key is a custom field's, checked where the desk's fields are known.
    let field = SearchQuery::parse("order_number:A-123").unwrap();
    assert_eq!(
        field.filters.fields,
        [("order_number".to_owned(), "A-123".to_owned())]
    );
    // A colon inside words is not a filter: a time or a URL is searched as words.
    let time = SearchQuery::parse("10:30 https://example.com/x").unwrap();
    assert_eq!(time.terms.len(), 2);
}

fn found(case_id: i64, place: Place, id: i64, at: i64) -> Found {
    Found {
        case_id,
        place,
        id,
        at: Timestamp(at),
    }
}

#[test]
fn a_subject_outranks_messages_and_more_finds_outrank_fewer() {
    let ranked = rank(&[
        found(1, Place::Note, 10, 900),
        found(2, Place::CustomerMessage, 11, 100),
        found(2, Place::Reply, 12, 200),
        found(3, Place::CustomerMessage, 13, 800),
        found(4, Place::Subject, 4, 50),
        found(5, Place::CustomerMessage, 14, 300),
    ]);
    let order: Vec<i64> = ranked.iter().map(|c| c.case_id).collect();
    assert_eq!(order, vec![4, 2, 3, 5, 1]);
    assert_eq!(ranked[1].score, 21);
    assert_eq!(ranked[1].best.id, 11);
}

#[test]
fn a_snippet_marks_every_word_and_phrase_found() {
    let query = SearchQuery::parse(r#"refund* "late parcel""#).unwrap();
    let text = "Hello,\n\nmy   parcel is late. The LATE  parcel needs a refund, refunds are owed.";
    let piece = snippet(text, &query, 200);
    let marked: Vec<&str> = piece
        .marks
        .iter()
        .map(|&(s, e)| &piece.text[s..e])
        .collect();
    assert_eq!(marked, vec!["LATE parcel", "refund", "refunds"]);
    assert!(!piece.text.contains('\n'));
}

#[test]
fn a_long_text_is_cut_around_the_first_word_found() {
    let query = SearchQuery::parse("voucher").unwrap();
    let text = format!(
        "{} the voucher never came {}",
        "word ".repeat(200),
        "more ".repeat(200)
    );
    let piece = snippet(&text, &query, 80);
    assert!(piece.text.starts_with('…') && piece.text.ends_with('…'));
    assert!(piece.text.chars().count() <= 82);
    let (start, end) = piece.marks[0];
    assert_eq!(&piece.text[start..end], "voucher");
    // Accented and non-Latin text is cut on character boundaries.
    let accented = format!("{}café voucher", "é".repeat(300));
    let piece = snippet(&accented, &query, 40);
    assert_eq!(piece.marks.len(), 1);
}

#[test]
fn tags_are_read_lowercase_with_spaces_as_dashes_and_refused_when_odd() {
    use crate::audit::RecordKind;
    use crate::tag::{parse_tags, retagged, Tag};
    let raw = ["Courier Late", "VIP", "vip", "refund"].map(String::from);
    let tags = parse_tags("tags", &raw).unwrap();
    let names: Vec<&str> = tags.iter().map(Tag::as_str).collect();
    assert_eq!(names, ["courier-late", "refund", "vip"]);
    for bad in ["", "  ", "a;b", "<b>", &"x".repeat(41)] {
        assert!(Tag::parse("tag", bad).is_err(), "{bad}");
    }
    let error = parse_tags("tags", &["ok".into(), "no!".into()]).unwrap_err();
    assert_eq!(error.field, "tags[1]");
    assert!(parse_tags("tags", &vec!["t".to_owned(); 21]).is_err());
    assert_eq!(retagged(RecordKind::Case, 7, &tags, &tags), None);
    let event = retagged(RecordKind::Case, 7, &tags[..1], &tags).unwrap();
    assert_eq!(event.action, "case.tagged");
    assert_eq!(event.changes[0].from, "courier-late");
    assert_eq!(event.changes[0].to, "courier-late refund vip");
}

#[test]
fn canned_replies_fill_their_variables_and_refuse_unknown_ones() {
    use crate::canned::{render, CannedActions, Filling, NewCannedReply};
    let body = "Hi {{ customer.first_name }}, case #{{case.id}} ({{case.subject}}) is with me. {{agent.first_name}} {{ unclosed";
    let reply =
        NewCannedReply::parse("Where is my parcel", body, CannedActions::default()).unwrap();
    let filled = render(
        &reply.body,
        &Filling {
            customer_name: "Dana Smith",
            case_id: 42,
            case_subject: "Late parcel",
            agent_name: "Sam Lee",
            fields: Vec::new(),
        },
    );
    assert_eq!(
        filled,
        "Hi Dana, case #42 (Late parcel) is with me. Sam {{ unclosed"
    );
    let error = NewCannedReply::parse(
        "x",
        "Hello {{customer.shoe_size}}",
        CannedActions::default(),
    )
    .unwrap_err();
    assert_eq!(error.field, "body");
    assert!(error.message.contains("customer.shoe_size"));
    assert!(NewCannedReply::parse("", "body", CannedActions::default()).is_err());
    // Custom fields fill in by owner and key; one without a value fills in as nothing.
    use crate::custom_field::FieldOwner;
    let body =
        "Order {{case.fields.order_number}} ({{customer.fields.tier}}){{case.fields.gift_note}}";
    NewCannedReply::parse("Order", body, CannedActions::default()).unwrap();
    let filling = Filling {
        fields: vec![
            (FieldOwner::Case, "order_number", "A-1"),
            (FieldOwner::Customer, "tier", "gold"),
        ],
        ..Filling::example()
    };
    assert_eq!(render(body, &filling), "Order A-1 (gold)");
    assert!(
        NewCannedReply::parse("x", "{{case.fields.Bad-Key}}", CannedActions::default()).is_err()
    );
    // An unknown variable kept from before is shown as typed, never dropped silently.
    assert_eq!(
        render("a {{old.thing}} b", &Filling::example()),
        "a {{old.thing}} b"
    );
}

fn case(id: i64, customer_id: i64, anger: i64) -> crate::Case {
    use crate::case::{opened, NewCase};
    let new = NewCase {
        channel: Channel::Email,
        subject: "Late".into(),
        body: "Where is it?".into(),
        priority: crate::Priority::Normal,
    };
    let mut case = opened(customer_id, &new, Timestamp(1_000));
    case.id = id;
    case.anger_permille = anger;
    case
}

#[test]
fn a_merge_closes_the_duplicate_folds_its_signals_in_and_is_undone_exactly() {
    use crate::merge::{merge, undo, Folded};
    let survivor = case(1, 7, 300);
    let mut duplicate = case(2, 7, 900);
    duplicate.churn_threat = true;
    duplicate.status = CaseStatus::Open;
    let merged = merge(&survivor, &duplicate, Timestamp(5_000)).unwrap();
    assert_eq!(merged.survivor.anger_permille, 900);
    assert!(merged.survivor.churn_threat);
    assert_eq!(merged.duplicate.status, CaseStatus::Closed);
    assert_eq!(merged.duplicate.merged_into, Some(1));
    let actions: Vec<&str> = merged.events.iter().map(|e| e.action).collect();
    assert_eq!(actions, ["case.merged", "case.merged_into"]);

    for (a, b, why) in [
        (&survivor, &survivor, "itself"),
        (&survivor, &case(3, 8, 0), "another customer"),
        (&merged.survivor, &merged.duplicate, "merged"),
    ] {
        let error = merge(a, b, Timestamp(6_000)).unwrap_err();
        assert_eq!(error.field, "duplicate_id", "{why}");
    }

    let before = Folded::of(&survivor);
    let back = undo(
        &merged.survivor,
        &merged.duplicate,
        before,
        CaseStatus::Open,
        false,
        Timestamp(7_000),
    )
    .unwrap();
    assert_eq!(Folded::of(&back.survivor), before);
    assert_eq!(back.duplicate.status, CaseStatus::Open);
    assert_eq!(
        (back.duplicate.merged_into, back.duplicate.closed_at),
        (None, None)
    );
    let late = undo(
        &merged.survivor,
        &merged.duplicate,
        before,
        CaseStatus::Open,
        true,
        Timestamp(7_000),
    );
    assert!(late
        .unwrap_err()
        .message
        .contains("can no longer be undone"));
}

#[test]
fn custom_field_values_are_checked_against_their_kind_and_named_when_wrong() {
    use crate::custom_field::{
        parse_key, parse_value, FieldDefinition, FieldKind, FieldOwner, GivenValue,
    };
    let field = |kind: FieldKind| FieldDefinition {
        id: 1,
        key: "order_number".into(),
        label: "Order number".into(),
        owner: FieldOwner::Case,
        kind,
        created_at: Timestamp(0),
    };
    let number = field(FieldKind::Number);
    assert_eq!(
        parse_value(&number, &GivenValue::Number(3.0))
            .unwrap()
            .as_deref(),
        Some("3")
    );
    assert_eq!(
        parse_value(&number, &GivenValue::Text(" 2.5 "))
            .unwrap()
            .as_deref(),
        Some("2.5")
    );
    let wrong = parse_value(&number, &GivenValue::Text("three")).unwrap_err();
    assert_eq!(
        (wrong.field.as_str(), wrong.message.as_str()),
        ("fields.order_number", "must be a number")
    );
    assert!(parse_value(&number, &GivenValue::Bool(true)).is_err());
    let date = field(FieldKind::Date);
    assert!(parse_value(&date, &GivenValue::Text("2026-02-30")).is_err());
    assert_eq!(
        parse_value(&date, &GivenValue::Text("2026-02-28"))
            .unwrap()
            .as_deref(),
        Some("2026-02-28")
    );
    let one_of = field(FieldKind::OneOf(vec!["gold".into(), "silver".into()]));
    assert!(parse_value(&one_of, &GivenValue::Text("bronze"))
        .unwrap_err()
        .message
        .contains("gold, silver"));
    assert_eq!(
        parse_value(&field(FieldKind::YesNo), &GivenValue::Bool(false))
            .unwrap()
            .as_deref(),
        Some("false")
    );
    assert_eq!(parse_value(&number, &GivenValue::Null).unwrap(), None);
    assert!(FieldKind::parse("one_of", &[]).is_err());
    assert!(FieldKind::parse("text", &["x".into()]).is_err());
    assert!(FieldKind::parse("colour", &[]).is_err());
    assert!(
        parse_key("Order").is_err() && parse_key("status").is_err() && parse_key("1st").is_err()
    );
    assert_eq!(parse_key("warranty_end").unwrap(), "warranty_end");
}
