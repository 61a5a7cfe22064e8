//! The engine's knowledge: the trained heads and the phrase lists, loaded once.

use std::sync::OnceLock;

use crate::lexicon::{tab_lines, PhraseList};
use crate::linear::LinearModel;

/// The embedded English model, written by `amends train`.
const ENGLISH_MODEL: &[u8] = include_bytes!("../model/en.bin");

macro_rules! lexicon {
    ($name:literal) => {
        include_str!(concat!("../lexicon/en/", $name))
    };
}

/// Phrases with a label each (a kind, a category, a severity and suggestion).
#[derive(Debug, Clone, Default)]
pub struct LabelledPhrases {
    /// The phrases.
    pub list: PhraseList,
    /// For each phrase, its columns other than the phrase itself.
    pub labels: Vec<Vec<String>>,
}

impl LabelledPhrases {
    /// Lines of tab-separated columns; column `phrase_column` is the phrase.
    pub fn parse(text: &str, phrase_column: usize) -> Self {
        let mut phrases = Vec::new();
        let mut labels = Vec::new();
        for columns in tab_lines(text) {
            let Some(phrase) = columns.get(phrase_column) else {
                continue;
            };
            if phrase.is_empty() {
                continue;
            }
            phrases.push(phrase.to_string());
            labels.push(
                columns
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != phrase_column)
                    .map(|(_, c)| c.to_string())
                    .collect(),
            );
        }
        LabelledPhrases {
            list: PhraseList::from_phrases(phrases.iter().map(String::as_str)),
            labels,
        }
    }
}

/// Everything the engine knows.
#[derive(Debug, Clone)]
pub struct Model {
    /// The statistical heads.
    pub linear: LinearModel,
    pub(crate) churn: PhraseList,
    pub(crate) insults: PhraseList,
    pub(crate) belittling: PhraseList,
    pub(crate) targets: PhraseList,
    pub(crate) abuse: PhraseList,
    pub(crate) profanity: PhraseList,
    pub(crate) offensive: PhraseList,
    pub(crate) offensive_stems: Vec<String>,
    pub(crate) anger: PhraseList,
    pub(crate) public: PhraseList,
    pub(crate) legal: PhraseList,
    pub(crate) payment: PhraseList,
    pub(crate) resolutions: LabelledPhrases,
    pub(crate) cues: PhraseList,
    pub(crate) urgency: PhraseList,
    pub(crate) sarcasm: PhraseList,
    pub(crate) positive_idioms: PhraseList,
    pub(crate) categories: LabelledPhrases,
    pub(crate) coaching: LabelledPhrases,
    pub(crate) good: LabelledPhrases,
}

impl Model {
    /// The built-in English model, loaded on first use.
    pub fn english() -> &'static Model {
        static MODEL: OnceLock<Model> = OnceLock::new();
        MODEL.get_or_init(|| {
            let linear = LinearModel::from_bytes(ENGLISH_MODEL)
                .unwrap_or_else(|_| LinearModel::empty(Vec::new()));
            Model::with_linear(linear)
        })
    }

    /// The English phrase lists with the given heads (for training and evaluation).
    pub fn with_linear(linear: LinearModel) -> Model {
        Model {
            linear,
            churn: PhraseList::parse(lexicon!("churn.txt")),
            insults: PhraseList::parse(lexicon!("insults.txt")),
            belittling: PhraseList::parse(lexicon!("belittling.txt")),
            targets: PhraseList::parse(lexicon!("targets.txt")),
            abuse: PhraseList::parse(lexicon!("abuse.txt")),
            profanity: PhraseList::parse(lexicon!("profanity.txt")),
            offensive: PhraseList::parse(lexicon!("offensive.txt")),
            offensive_stems: lexicon!("offensive_stems.txt")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect(),
            anger: PhraseList::parse(lexicon!("anger.txt")),
            public: PhraseList::parse(lexicon!("public.txt")),
            legal: PhraseList::parse(lexicon!("legal.txt")),
            payment: PhraseList::parse(lexicon!("payment.txt")),
            resolutions: LabelledPhrases::parse(lexicon!("resolutions.txt"), 1),
            cues: PhraseList::parse(lexicon!("cues.txt")),
            urgency: PhraseList::parse(lexicon!("urgency.txt")),
            sarcasm: PhraseList::parse(lexicon!("sarcasm.txt")),
            positive_idioms: PhraseList::parse(lexicon!("positive_idioms.txt")),
            categories: LabelledPhrases::parse(lexicon!("categories.tsv"), 1),
            coaching: LabelledPhrases::parse(lexicon!("coaching.tsv"), 2),
            good: LabelledPhrases::parse(lexicon!("good.tsv"), 1),
        }
    }
}
