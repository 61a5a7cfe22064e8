//! Makes the OpenAPI document say what the server enforces: every operation may answer the
//! desk's problem documents (`application/problem+json`) with the statuses the shared
//! extractors and middleware produce, so an integrator or a property tester sees the real
//! contract rather than only the happy path.

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::Modify;

/// The problem statuses any operation may answer, and why.
const ANY_OPERATION: [(&str, &str); 6] = [
    (
        "400",
        "the request is malformed: a parameter or body that does not parse",
    ),
    ("401", "no valid session or token"),
    (
        "403",
        "the role, the token's scope or the CSRF token does not allow this",
    ),
    ("404", "no such record"),
    ("429", "too many attempts; see Retry-After"),
    (
        "503",
        "the database is unavailable or the desk is busy; see Retry-After when busy",
    ),
];

/// What an operation with a request body may answer besides.
const WITH_BODY: [(&str, &str); 5] = [
    ("408", "the body did not arrive in time"),
    (
        "409",
        "a value that must be unique is already in use; `field` names it",
    ),
    ("413", "the body is larger than the desk accepts"),
    ("415", "the body is not of the documented media type"),
    (
        "422",
        "a field is invalid or a rule refused the change; `field` names it",
    ),
];

/// Adds the problem responses to every operation.
pub(super) struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                document_problems(operation);
            }
        }
    }
}

fn document_problems(operation: &mut Operation) {
    let with_body = operation.request_body.is_some();
    let extra = if with_body {
        &WITH_BODY[..]
    } else {
        &[("422", "a parameter is invalid; `field` names it")][..]
    };
    let responses = &mut operation.responses.responses;
    // Problems already listed were written as JSON: they are problem+json.
    for response in responses.values_mut() {
        if let RefOr::T(response) = response {
            if let Some(content) = response.content.shift_remove("application/json") {
                let is_problem = serde_json::to_string(&content.schema)
                    .is_ok_and(|schema| schema.contains("#/components/schemas/Problem"));
                let key = if is_problem {
                    "application/problem+json"
                } else {
                    "application/json"
                };
                response.content.insert(key.to_owned(), content);
            }
        }
    }
    for (status, why) in ANY_OPERATION.iter().chain(extra) {
        responses.entry((*status).to_owned()).or_insert_with(|| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build();
            RefOr::T(
                ResponseBuilder::new()
                    .description(*why)
                    .content("application/problem+json", content)
                    .build(),
            )
        });
    }
}
