//! Each finding with examples that must and must not trigger it, including the hard ones.

use crate::{
    assess, coach, AngerLabel, Category, CoachContext, FindingKind, Model, Resolution, Severity,
};

fn read(text: &str) -> crate::Assessment {
    assess(text, Model::english())
}

fn evidence_of(text: &str, kind: &str) -> Vec<String> {
    read(text)
        .evidence
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| text[e.start..e.end].to_owned())
        .collect()
}

#[test]
fn negativity_reads_negation_both_ways() {
    for text in [
        "I am not happy with this at all",
        "Worst service ever, my bag is lost",
        "Still waiting for my refund after three weeks",
    ] {
        assert!(read(text).negative, "{text}");
    }
    for text in [
        "Never been better, thank you so much!",
        "Thanks, the new one arrived and works perfectly",
        "No complaints, great crew today",
    ] {
        assert!(!read(text).negative, "{text}");
    }
}

#[test]
fn sarcasm_is_caught_where_a_phrase_gives_it_away() {
    let text = "Oh great, another delay. Thanks for nothing";
    let assessment = read(text);
    assert!(assessment.negative);
    assert_eq!(
        evidence_of(text, "sarcasm"),
        ["Oh great", "Thanks for nothing"]
    );
}

#[test]
fn churn_threats_are_found_and_told_apart() {
    for (text, phrase) in [
        (
            "I will never use you again after this",
            "I will never use you again",
        ),
        (
            "I'm cancelling my subscription today",
            "I'm cancelling my subscription",
        ),
        ("Sorting this out or I'm switching to Acme", "I'm switching"),
        ("That is the last time I use you", "last time I use"),
    ] {
        assert_eq!(evidence_of(text, "churn_threat"), [phrase], "{text}");
        assert!(read(text).churn_threat);
    }
}

/// The ways people say they are leaving (shared/eval/CHURN.md), in words of our own.
#[test]
fn every_way_of_leaving_is_a_churn_threat() {
    for text in [
        "Three hours on hold. Never again.",
        "lost my bag twice #NeverAgain",
        "I won't be shopping with you anymore",
        "We will no longer be flying with you",
        "Thinking about switching to another provider",
        "Considering cancelling my membership after this",
        "Fix it or I'm switching",
        "How do I close my account?",
        "Time to find a new bank",
        "You just lost a loyal customer",
        "I'm done with you people",
        "Taking my business elsewhere",
        "Cannot wait to leave this network",
        "Will NOT book you for business travel",
        "No staff anywhere, nobody helped #NeverAgain",
        "I won't be flying with you any time soon",
        "Will cancel future orders and buy in a shop",
        "Wondering if I should make the switch",
        "Already planning my local boycott",
        "Forget it, I will go elsewhere",
        "If not fixed soon, switching phones",
        "I can't wait to go back to Android",
        "I won't be staying with you at the end of the contract",
        "Plenty of other airlines out there",
        "I went to Tesco instead",
        "Please port out my number",
        "You have made me never want to fly with you",
        "I'll never fly with them",
        "You've lost me",
    ] {
        assert!(read(text).churn_threat, "{text}");
    }
}

/// The hard negatives of shared/eval/CHURN.md: an exit that is no exit stays negative.
#[test]
fn bookings_pauses_fixes_and_praise_are_not_churn() {
    for text in [
        "My flight was cancelled",
        "I'm not cancelling, I just want it fixed",
        "You promised this will never happen again, and it did",
        "Please cancel the duplicate order",
        "Can I cancel my booking for Friday?",
        "Can I switch to an earlier flight?",
        "I want to switch to the student plan",
        "I cancelled my subscription just for the moment, I'll be back next month",
        "Should I delete my account and create a new one?",
        "Someone cancelled my subscription without asking me",
        "Last time I checked it was fine",
        "I'm moving to Leeds next month, can you change my address?",
        "I will not cancel my premium",
        "I'll never leave you for anyone else",
        "You are losing customers over this",
        "Can you lend your voice to a state boycott?",
        "I lost a customer's parcel in my hallway",
        "So my old ISP let me down, so I switched to you",
        "Can you rebook me on another airline tonight?",
        "I'm not switching, I just want it fixed",
        "I can't wait to fly with you again",
    ] {
        assert!(!read(text).churn_threat, "{text}");
    }
}

#[test]
fn abuse_at_staff_is_kept_apart_from_swearing_at_the_situation() {
    for text in [
        "You're useless idiots",
        "your staff are incompetent",
        "fuck you",
        "you people are a joke",
        "your driver is the dumbest I have met",
        "Yet another lazy ass Amazon delivery person",
        "the tech was worthless",
        "What the fuck is wrong with you people",
        "you cheap ass",
    ] {
        let assessment = read(text);
        assert!(assessment.abuse_at_staff && assessment.abusive, "{text}");
    }
    // Complaints about the company or its service, however strong, are not insults at people.
    for text in [
        "I hate you",
        "your customer service is a joke",
        "customer service was useless",
        "the employees were rude and unwilling to help",
    ] {
        assert!(!read(text).abuse_at_staff, "{text}");
    }
    for text in [
        "This damn parcel still hasn't come",
        "What the hell, the app crashed again!",
        "the useless app keeps crashing",
    ] {
        let assessment = read(text);
        assert!(!assessment.abuse_at_staff, "{text}");
        assert!(
            !assessment.abusive,
            "{text}: swearing about a thing is frustration"
        );
    }
    assert!(read("This damn parcel still hasn't come").swearing);
}

/// Insults aimed at people (shared/eval/SUPPORT_SETS.md): "you" as a group, the staff by role,
/// people insulted in the plural; the brand's things insulted are frustration, not abuse.
#[test]
fn abuse_is_aimed_at_people_not_at_things() {
    for text in [
        "you guys suck",
        "Your employees totally suck",
        "three useless agents and a four hour wait",
        "Thanks for nothing, idiots",
        "You're the worst",
    ] {
        assert!(read(text).abuse_at_staff, "{text}");
    }
    for text in [
        "your website is a complete joke",
        "your airline is a joke",
        "What a joke, you can post the receipt but not take a payment",
        "I hate you right now, the update broke my phone",
        "the voucher you gave us is useless",
    ] {
        assert!(!read(text).abuse_at_staff, "{text}");
    }
}

/// A refusal with no way forward turns the customer away; the same refusal with an
/// alternative, a contact or a next step does not.
#[test]
fn a_refusal_with_no_way_forward_is_dismissive() {
    let dismissive = |draft: &str| {
        crate::coach(draft, &crate::CoachContext::default(), Model::english())
            .findings
            .iter()
            .any(|f| f.kind == crate::FindingKind::Dismissive)
    };
    for draft in [
        "Sorry, that is not possible.",
        "Hi there, we have no information on this.",
        "That camera is not supported in this version.",
    ] {
        assert!(dismissive(draft), "{draft}");
    }
    for draft in [
        "Sorry, that is not possible by chat, but you can change it by phone.",
        "We have no information yet; we'll keep you posted by Friday.",
        "That camera is not supported; please try the converter instead.",
    ] {
        assert!(!dismissive(draft), "{draft}");
    }
}

#[test]
fn threats_money_requests_and_urgency_are_found() {
    let text = "I need a refund today or I will post a review on Trustpilot and call my lawyer. You charged me twice.";
    let assessment = read(text);
    assert!(
        assessment.public_exposure_threat
            && assessment.legal_threat
            && assessment.mentions_payment
            && assessment.urgent
    );
    assert_eq!(assessment.requested_resolutions, [Resolution::Refund]);
    assert_eq!(assessment.category, Some(Category::Billing));
    assert_eq!(evidence_of(text, "legal_threat"), ["lawyer"]);
    let calm = read("Could you tell me your opening hours?");
    // Known limit: the negativity head, trained on airline tweets, reads "hours" as a delay and
    // calls this question negative; the rules below it must stay quiet all the same.
    assert!(
        !calm.public_exposure_threat
            && !calm.legal_threat
            && !calm.mentions_payment
            && !calm.urgent
    );
    assert!(!calm.abusive && !calm.churn_threat && calm.requested_resolutions.is_empty());
}

#[test]
fn requested_resolutions_need_a_request() {
    assert_eq!(
        read("Please call me back, and I want a replacement").requested_resolutions,
        [Resolution::Replacement, Resolution::CallBack]
    );
    assert_eq!(
        read("I expect an apology").requested_resolutions,
        [Resolution::Apology]
    );
    assert!(read("The refund arrived, thanks")
        .requested_resolutions
        .is_empty());
    assert!(read("I don't want a refund, I want it fixed")
        .requested_resolutions
        .contains(&Resolution::Repair));
    assert!(!read("I don't want a refund, I want it fixed")
        .requested_resolutions
        .contains(&Resolution::Refund));
}

#[test]
fn categories_follow_the_words() {
    for (text, category) in [
        ("My parcel is late and still not arrived", Category::Delay),
        (
            "The blender arrived cracked and damaged",
            Category::LostOrDamaged,
        ),
        (
            "The app keeps crashing and doesn't work",
            Category::ProductFault,
        ),
        (
            "I have been locked out of my account since the password reset, terrible",
            Category::BookingAccount,
        ),
        (
            "The engineer was rude and unhelpful, awful",
            Category::PoorService,
        ),
    ] {
        assert_eq!(read(text).category, Some(category), "{text}");
    }
    assert_eq!(
        read("Thanks, lovely day").category,
        None,
        "no complaint, no category"
    );
}

#[test]
fn anger_rises_with_shouting_threats_and_abuse() {
    let mild = read("The parcel is a bit late, could you check?");
    let upset = read("I'm disappointed, the parcel is late again");
    let furious =
        read("You useless idiots, this is a disgrace!!! I'm cancelling and calling my lawyer");
    assert!(
        mild.anger < upset.anger && upset.anger < furious.anger,
        "{} {} {}",
        mild.anger,
        upset.anger,
        furious.anger
    );
    assert_eq!(furious.label, AngerLabel::Furious);
    assert!(matches!(
        mild.label,
        AngerLabel::Calm | AngerLabel::Dissatisfied
    ));
}

#[test]
fn a_plain_problem_report_is_dissatisfied_and_signs_of_feeling_make_it_angry() {
    let report = read("My order hasn't arrived and the tracking has not changed since Monday");
    assert_eq!(report.label, AngerLabel::Dissatisfied, "{}", report.anger);
    for upset in [
        "My order hasn't arrived and the tracking has not changed since Monday???",
        "My order hasn't arrived and the tracking has not changed since Monday 😭",
        "My order hasn't arrived and the tracking has not changed since Monday, sooo annoyed",
    ] {
        let read = read(upset);
        assert!(read.anger > report.anger, "{upset}: {}", read.anger);
        assert!(
            matches!(read.label, AngerLabel::Angry | AngerLabel::Furious),
            "{upset}: {}",
            read.anger
        );
    }
    // One question mark, a happy face, a word with a double letter: no outburst.
    for calm in [
        "My order hasn't arrived, is the tracking right?",
        "My order hasn't arrived yet 🙂 all good",
        "My order hasn't arrived, the bookkeeper says it will",
    ] {
        assert!(read(calm).anger <= report.anger + 0.05, "{calm}");
    }
    // A calm message with a cry of feeling is not halved away as if it were neutral.
    assert!(read("Hello??? Anyone there???").anger > read("Hello, anyone there?").anger);
}

#[test]
fn a_threat_of_harm_is_the_writers_stated_intent_and_nothing_like_it() {
    for threat in [
        "I'm going to punch you in the face",
        "I swear I'll kill you",
        "I know where you live",
        "imma beat the hell out of your driver",
        "if I see that driver again I will smash his face",
        "gonna burn down your store",
        "I am going to hurt the next agent who puts me on hold",
    ] {
        let read = read(threat);
        assert!(read.threat, "{threat}");
        assert!(
            read.abusive,
            "{threat}: a threat is abuse the policy acts on"
        );
        assert_eq!(read.label, AngerLabel::Furious, "{threat}");
        assert!(read.evidence.iter().any(|e| e.kind == "threat"), "{threat}");
    }
    // Hard negatives: negation, hyperbole about the writer, accusations, damnation and death
    // wishes (abuse, not threats), wishes, what others would do or said, the writer's own
    // things, leaving or legal action, a service, jokes, and harmless idioms.
    for not_a_threat in [
        "I would never hurt you",
        "I'm not going to hurt you",
        "this is killing me",
        "#killme",
        "I'm going to kill myself if this isn't fixed",
        "are your employees trying to kill me?",
        "go to hell",
        "I hope someone punches you",
        "my mom will kill you lol",
        "he said he'd punch me",
        "the driver said \"I'll punch you\" to my son",
        "RT @someone: I'll kill you",
        "I'll break it if it doesn't work",
        "I'm going to fight until I get complete satisfaction",
        "gonna kill the app and reinstall",
        "I'd kill for a coffee right now",
        "you will have hell to pay in the form of my mother",
        "I'll find you a better seat",
        "I'm gonna beat you to it",
        "I will beat your price",
    ] {
        assert!(!read(not_a_threat).threat, "{not_a_threat}");
    }
}

#[test]
fn evidence_spans_point_at_the_words() {
    let text = "Ça suffit 😡 — I'm cancelling my account!";
    for evidence in read(text).evidence {
        assert!(text.is_char_boundary(evidence.start) && text.is_char_boundary(evidence.end));
        assert!(evidence.start < evidence.end && evidence.end <= text.len());
    }
    assert_eq!(
        evidence_of(text, "churn_threat"),
        ["I'm cancelling my account"]
    );
}

fn context() -> CoachContext {
    CoachContext {
        customer_name: Some("Ann Smith".to_owned()),
        customer_anger: Some(0.7),
        authority_limit: Some(50.0),
        public_post: false,
    }
}

fn kinds(draft: &str) -> Vec<FindingKind> {
    coach(draft, &context(), Model::english())
        .findings
        .iter()
        .map(|f| f.kind)
        .collect()
}

#[test]
fn a_good_reply_scores_high_and_is_praised() {
    let draft = "Hi Ann, I'm so sorry, I understand how frustrating this has been. I've arranged a replacement and I'll call you by 4 pm today with the tracking number.";
    let coaching = coach(draft, &context(), Model::english());
    assert!(coaching.findings.is_empty(), "{:?}", coaching.findings);
    assert!(coaching.score >= 95);
    let strengths: Vec<&str> = coaching.strengths.iter().map(|s| s.kind.as_str()).collect();
    for kind in ["apology", "empathy", "ownership", "concrete_next_step"] {
        assert!(strengths.contains(&kind), "{kind} in {strengths:?}");
    }
    assert!(!coaching.needs_confirmation);
}

#[test]
fn forbidden_promises_are_replaced_whole() {
    let draft = "Hi Ann, sorry about that. This will never happen again.";
    let coaching = coach(draft, &context(), Model::english());
    let finding = &coaching.findings[0];
    assert_eq!(
        (finding.kind, finding.severity),
        (FindingKind::ForbiddenPromise, Severity::High)
    );
    assert_eq!(
        &draft[finding.start..finding.end],
        "This will never happen again"
    );
    assert!(finding.suggestion.starts_with("We have"));
    assert!(coaching.needs_confirmation);
    assert!(kinds(
        "Hi Ann, sorry. I can't promise it will never happen again, but I've changed how we pack."
    )
    .is_empty());
}

#[test]
fn blame_desperation_negative_wording_and_vague_times_are_found() {
    for (draft, kind) in [
        (
            "Hi Ann, sorry. As I already said, the parcel left on Monday.",
            FindingKind::Blame,
        ),
        ("Hi Ann, sorry, but that's our policy.", FindingKind::Blame),
        (
            "Hi Ann, sorry. You should have checked the address.",
            FindingKind::Blame,
        ),
        (
            "Hi Ann, I understand. Please calm down.",
            FindingKind::Blame,
        ),
        (
            "Hi Ann, sorry. Please don't leave us!",
            FindingKind::Desperation,
        ),
        (
            "Hi Ann, sorry. We can't send a new one.",
            FindingKind::NegativeWording,
        ),
        (
            "Hi Ann, sorry. We'll get back to you soon.",
            FindingKind::VagueTime,
        ),
        (
            "Hi Ann, sorry. I'll fix it in a few days.",
            FindingKind::VagueTime,
        ),
    ] {
        assert!(kinds(draft).contains(&kind), "{draft}: {:?}", kinds(draft));
    }
    assert!(!kinds("Hi Ann, sorry. I'll call you soon, by 3 pm today.")
        .contains(&FindingKind::VagueTime));
    for draft in [
        "Hi Ann, sorry. Please follow the previous steps.",
        "Hi Ann, sorry. You still have to open a claim.",
        "Hi Ann, sorry. In order to assist you, you need to inform us of your issue.",
    ] {
        assert!(kinds(draft).contains(&FindingKind::Blame), "{draft}");
    }
    // What should have happened is no blame (shared/eval/SUPPORT_SETS.md).
    for draft in [
        "Hi Ann, sorry. You should have received a notification by now.",
        "Hi Ann, sorry. You shouldn't have received an email if you're not eligible.",
        "Hi Ann, sorry. You should have an email waiting for you.",
    ] {
        assert!(!kinds(draft).contains(&FindingKind::Blame), "{draft}");
    }
}

#[test]
fn missing_name_and_acknowledgement_depend_on_the_customer() {
    assert_eq!(
        kinds("Your replacement ships tomorrow."),
        [
            FindingKind::MissingAcknowledgement,
            FindingKind::MissingName
        ]
    );
    let calm = CoachContext {
        customer_anger: Some(0.1),
        customer_name: None,
        authority_limit: None,
        public_post: false,
    };
    assert!(
        coach("Your replacement ships tomorrow.", &calm, Model::english())
            .findings
            .is_empty()
    );
}

#[test]
fn recognising_the_feeling_or_the_problem_is_an_acknowledgement_and_set_phrases_are_not() {
    for acknowledged in [
        "Oh no! Please DM us your order number.",
        "Yikes, that shouldn't be happening. Which app version are you on?",
        "That's not the experience we want you to have. Which phone are you using?",
        "We hear you. Send us a DM and we'll look into it.",
        "We understand how frustrating this is. Send us a DM.",
        "That's concerning. Please tell us more here.",
        "We certainly don't want you to feel this way. Send us some details by DM.",
    ] {
        let findings = coach(acknowledged, &context(), Model::english()).findings;
        assert!(
            !findings
                .iter()
                .any(|f| f.kind == FindingKind::MissingAcknowledgement),
            "{acknowledged}"
        );
    }
    for set_phrase in [
        "Here to help! Please DM us your order number.",
        "Thanks for reaching out. Please DM us your order number.",
        "We'd be happy to help. Please DM us your order number.",
    ] {
        let findings = coach(set_phrase, &context(), Model::english()).findings;
        assert!(
            findings
                .iter()
                .any(|f| f.kind == FindingKind::MissingAcknowledgement),
            "{set_phrase}"
        );
    }
}

#[test]
fn an_acknowledgement_is_owed_to_an_angry_customer_not_to_a_dissatisfied_one() {
    let draft = "Please DM us your order number.";
    let owed = |anger: f32| {
        let context = CoachContext {
            customer_anger: Some(anger),
            customer_name: None,
            authority_limit: None,
            public_post: false,
        };
        coach(draft, &context, Model::english())
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::MissingAcknowledgement)
    };
    assert!(!owed(0.4), "a plain report of a problem");
    assert!(owed(0.6));
}

#[test]
fn an_outcome_stated_as_certain_is_a_guarantee_and_the_agents_own_step_is_not() {
    let guaranteed = |draft: &str| {
        coach(draft, &context(), Model::english())
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::GuaranteedOutcome)
    };
    for guarantee in [
        "I'm confident it'll be worth the wait!",
        "Shoot me a DM, and I'll save the day!",
        "DM us, we'll make sure you can take advantage of all the goodies.",
        "Your parcel will definitely arrive tomorrow.",
        "Don't worry, everything will be fine.",
        "We guarantee the engineer arrives on Monday.",
    ] {
        assert!(guaranteed(guarantee), "{guarantee}");
    }
    // The labelling rules' negatives: the agent's own step, effort, wishes, hedged
    // expectations, explicit non-promises and plain facts.
    for not_one in [
        "I can definitely look into this.",
        "We'll make sure to pass on your feedback.",
        "We're working to get those items removed.",
        "We'll definitely look into that.",
        "We want to make sure you have a working battery.",
        "You should get all pre-order bonuses.",
        "We can't make any promises, but we'll ask.",
        "That card is definitely possible, but it will require Mac OS X 10.5.7.",
    ] {
        assert!(!guaranteed(not_one), "{not_one}");
    }
}

#[test]
fn compensation_beyond_authority_is_flagged() {
    let draft = "Hi Ann, I'm sorry. I've added a $75 credit to your account.";
    let coaching = coach(draft, &context(), Model::english());
    let over: Vec<_> = coaching
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::OverAuthority)
        .collect();
    assert_eq!(over.len(), 1);
    assert_eq!(&draft[over[0].start..over[0].end], "$75");
    assert!(kinds("Hi Ann, I'm sorry. I've added a $40 credit to your account.").is_empty());
    assert!(
        kinds("Hi Ann, I'm sorry. Your order of $300 ships tomorrow.").is_empty(),
        "not compensation"
    );
}
