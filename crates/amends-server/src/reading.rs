//! Reading a customer's words with the text engine, for the case's rules and the console.

use amends_analysis::{assess, Model};
use amends_core::message::Reading;

/// What the engine reads in `text`.
pub fn read(text: &str) -> Reading {
    let assessment = assess(text, Model::english());
    Reading {
        anger_permille: (f64::from(assessment.anger.clamp(0.0, 1.0)) * 1000.0).round() as i64,
        abusive: assessment.abusive,
        churn_threat: assessment.churn_threat,
        assessment_json: serde_json::to_string(&assessment).unwrap_or_else(|_| "{}".to_owned()),
    }
}
