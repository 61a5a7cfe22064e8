//! The engine's knowledge: the trained heads and the phrase lists, loaded once.

use std::sync::{Arc, OnceLock};

use crate::encoder::Encoder;
use crate::lexicon::{expand, tab_lines, Hit, Lexicon, PhraseList, Stems};
use crate::linear::LinearModel;

/// The embedded English model, written by `amends train`.
const ENGLISH_MODEL: &[u8] = include_bytes!("../model/en.bin");

/// The English heads that read a sentence encoder's vector beside the n-grams, written by
/// `amends train --encoder`.
const ENGLISH_ENCODER_HEADS: &[u8] = include_bytes!("../model/en-encoder.bin");

macro_rules! lexicon {
    ($name:literal) => {
        include_str!(concat!("../lexicon/en/", $name))
    };
}

/// Phrases with a label each (a kind, a category, a severity and suggestion).
#[derive(Debug, Clone, Default)]
pub(crate) struct LabelledPhrases {
    /// The phrases.
    pub list: PhraseList,
    /// For each phrase, its columns other than the phrase itself.
    pub labels: Vec<Vec<String>>,
}

impl LabelledPhrases {
    /// Lines of tab-separated columns; column `phrase_column` is the phrase, with the shorthands
    /// of [`PhraseList::parse`] (each phrase it stands for keeps the line's other columns).
    pub(crate) fn parse(text: &str, phrase_column: usize) -> Self {
        let mut phrases = Vec::new();
        let mut labels = Vec::new();
        for columns in tab_lines(text) {
            let Some(phrase) = columns.get(phrase_column) else {
                continue;
            };
            if phrase.is_empty() {
                continue;
            }
            let others: Vec<String> = columns
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != phrase_column)
                .map(|(_, c)| c.to_string())
                .collect();
            for phrase in expand(phrase) {
                phrases.push(phrase);
                labels.push(others.clone());
            }
        }
        LabelledPhrases {
            list: PhraseList::from_phrases(phrases.iter().map(String::as_str)),
            labels,
        }
    }
}

/// The phrase lists read in a customer's message, in the order [`Model::customer`] holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phrases {
    Churn,
    Insults,
    Belittling,
    Targets,
    Abuse,
    Profanity,
    Offensive,
    Anger,
    Public,
    Legal,
    Payment,
    Resolutions,
    Cues,
    Urgency,
    Sarcasm,
    PositiveIdioms,
    /// What makes an exit no exit: a pause, a fix by starting again, someone else's doing.
    ChurnNot,
    /// Harm to people, a threat when the writer says they will do it.
    Harm,
    /// Threats of harm on their own ("I know where you live").
    Menace,
    Categories,
}

impl Phrases {
    /// Every list, in the order [`Model::customer`] holds them.
    const ALL: [Phrases; 20] = [
        Phrases::Churn,
        Phrases::Insults,
        Phrases::Belittling,
        Phrases::Targets,
        Phrases::Abuse,
        Phrases::Profanity,
        Phrases::Offensive,
        Phrases::Anger,
        Phrases::Public,
        Phrases::Legal,
        Phrases::Payment,
        Phrases::Resolutions,
        Phrases::Cues,
        Phrases::Urgency,
        Phrases::Sarcasm,
        Phrases::PositiveIdioms,
        Phrases::ChurnNot,
        Phrases::Harm,
        Phrases::Menace,
        Phrases::Categories,
    ];
}

// A list's place in `ALL` is its number, which `Found::get` reads the hits by.
const _: () = {
    let mut i = 0;
    while i < Phrases::ALL.len() {
        assert!(Phrases::ALL[i] as usize == i);
        i += 1;
    }
    assert!(Phrases::ALL.len() == Phrases::Categories as usize + 1);
};

/// What the customer lists found in one message, list by list.
pub(crate) struct Found(Vec<Vec<Hit>>);

impl Found {
    /// The hits of `list`.
    pub(crate) fn get(&self, list: Phrases) -> &[Hit] {
        self.0.get(list as usize).map_or(&[], Vec::as_slice)
    }
}

/// Everything the engine knows.
#[derive(Debug, Clone)]
pub struct Model {
    /// The statistical heads.
    pub linear: LinearModel,
    /// The sentence encoder, when the desk has one installed.
    pub(crate) encoder: Option<Arc<Encoder>>,
    /// Heads reading the encoder's vector beside the n-grams (the complaint head); they replace
    /// the same heads of `linear` when a vector is at hand.
    pub(crate) encoder_heads: Option<LinearModel>,
    /// The phrase lists read in a customer's message, searched together ([`Phrases`]).
    pub(crate) customer: Lexicon,
    pub(crate) offensive_stems: Stems,
    /// The labels of [`Phrases::Resolutions`] and [`Phrases::Categories`].
    pub(crate) resolutions: Vec<Vec<String>>,
    pub(crate) categories: Vec<Vec<String>>,
    pub(crate) coaching: LabelledPhrases,
    pub(crate) good: LabelledPhrases,
    /// What offers a customer a way forward (a contact, an alternative, a next step).
    pub(crate) ways_forward: PhraseList,
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

    /// This model reading every message through `encoder` too, with the embedded English heads
    /// for its vectors. Fails when those heads were trained on another encoder's vectors.
    pub fn with_encoder(&self, encoder: Arc<Encoder>) -> Result<Model, String> {
        let heads = match &self.encoder_heads {
            Some(heads) => heads.clone(),
            None => LinearModel::from_bytes(ENGLISH_ENCODER_HEADS)?,
        };
        // The encoder's reading and the negativity (see `assess::encoder_input`).
        if heads.dense_dimensions() != encoder.reading_dimensions() + 1 {
            return Err(format!(
                "the encoder gives {} numbers, its heads read {} besides the negativity",
                encoder.reading_dimensions(),
                heads.dense_dimensions().saturating_sub(1)
            ));
        }
        let mut model = self.clone();
        model.encoder = Some(encoder);
        model.encoder_heads = Some(heads);
        Ok(model)
    }

    /// This model with `heads` for encoder vectors handed to it (for training and evaluation,
    /// where the vectors are computed once and kept).
    pub fn with_encoder_heads(mut self, heads: LinearModel) -> Model {
        self.encoder_heads = Some(heads);
        self
    }

    /// This model without its encoder but keeping the heads for its vectors: it reads a text
    /// through them only when handed the text's vector (evaluation computes the vectors once).
    pub fn without_encoder(&self) -> Model {
        let mut model = self.clone();
        model.encoder = None;
        model
    }

    /// Whether messages are read through a sentence encoder.
    pub fn has_encoder(&self) -> bool {
        self.encoder.is_some()
    }

    /// The encoder's reading of `text` ([`Encoder::reading`]), when the model has an encoder.
    pub fn encode(&self, text: &str) -> Option<Vec<f32>> {
        self.encoder.as_ref().map(|e| e.reading(text))
    }

    /// What the customer lists find in `tokens`.
    pub(crate) fn find(&self, tokens: &[crate::text::Token]) -> Found {
        Found(self.customer.find(tokens))
    }

    /// The English phrase lists with the given heads (for training and evaluation).
    pub fn with_linear(linear: LinearModel) -> Model {
        let resolutions = LabelledPhrases::parse(lexicon!("resolutions.txt"), 1);
        let categories = LabelledPhrases::parse(lexicon!("categories.tsv"), 1);
        Model {
            linear,
            encoder: None,
            encoder_heads: None,
            customer: Lexicon::new(&Phrases::ALL.map(|list| match list {
                Phrases::Churn => PhraseList::parse(lexicon!("churn.txt")),
                Phrases::Insults => PhraseList::parse(lexicon!("insults.txt")),
                Phrases::Belittling => PhraseList::parse(lexicon!("belittling.txt")),
                Phrases::Targets => PhraseList::parse(lexicon!("targets.txt")),
                Phrases::Abuse => PhraseList::parse(lexicon!("abuse.txt")),
                Phrases::Profanity => PhraseList::parse(lexicon!("profanity.txt")),
                Phrases::Offensive => PhraseList::parse(lexicon!("offensive.txt")),
                Phrases::Anger => PhraseList::parse(lexicon!("anger.txt")),
                Phrases::Public => PhraseList::parse(lexicon!("public.txt")),
                Phrases::Legal => PhraseList::parse(lexicon!("legal.txt")),
                Phrases::Payment => PhraseList::parse(lexicon!("payment.txt")),
                Phrases::Resolutions => resolutions.list.clone(),
                Phrases::Cues => PhraseList::parse(lexicon!("cues.txt")),
                Phrases::Urgency => PhraseList::parse(lexicon!("urgency.txt")),
                Phrases::Sarcasm => PhraseList::parse(lexicon!("sarcasm.txt")),
                Phrases::PositiveIdioms => PhraseList::parse(lexicon!("positive_idioms.txt")),
                Phrases::Categories => categories.list.clone(),
                Phrases::ChurnNot => PhraseList::parse(lexicon!("churn_not.txt")),
                Phrases::Harm => PhraseList::parse(lexicon!("harm.txt")),
                Phrases::Menace => PhraseList::parse(lexicon!("menace.txt")),
            })),
            offensive_stems: Stems::parse(lexicon!("offensive_stems.txt")),
            resolutions: resolutions.labels,
            categories: categories.labels,
            coaching: LabelledPhrases::parse(lexicon!("coaching.tsv"), 2),
            good: LabelledPhrases::parse(lexicon!("good.tsv"), 1),
            ways_forward: PhraseList::parse(lexicon!("ways_forward.txt")),
        }
    }
}
