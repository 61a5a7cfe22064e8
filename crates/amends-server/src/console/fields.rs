//! Custom fields on the case page: the case's and its customer's, each with the input its kind
//! needs, saved together.

use amends_core::custom_field::{FieldDefinition, FieldKind, FieldOwner};
use maud::{html, Markup};

use super::case_file::CaseFile;
use super::form_status;

/// The panel of a case's and its customer's custom fields; nothing when none are defined.
pub(super) fn fields_panel(file: &CaseFile) -> Markup {
    let of = |owner: FieldOwner| -> Vec<&FieldDefinition> {
        file.fields.iter().filter(|f| f.owner == owner).collect()
    };
    let (case_fields, customer_fields) = (of(FieldOwner::Case), of(FieldOwner::Customer));
    html! {
        @if !file.fields.is_empty() {
            section class="panel" aria-labelledby="fields-title" {
                h2 id="fields-title" { "Details" }
                @if !case_fields.is_empty() {
                    (fields_form(&format!("/api/v1/cases/{}/fields", file.case.id), "case", &case_fields, &file.case_values))
                }
                @if !customer_fields.is_empty() {
                    h3 { "Customer" }
                    (fields_form(&format!("/api/v1/customers/{}/fields", file.customer.id), "customer", &customer_fields, &file.customer_values))
                }
            }
        }
    }
}

fn fields_form(
    api: &str,
    prefix: &str,
    fields: &[&FieldDefinition],
    values: &[(i64, String)],
) -> Markup {
    let value = |field: &FieldDefinition| {
        values
            .iter()
            .find(|(id, _)| *id == field.id)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    html! {
        form class="fields" data-api=(api) data-method="PUT" {
            @for field in fields {
                @let id = format!("{prefix}-field-{}", field.key);
                @let name = format!("fields.{}", field.key);
                div class="field" {
                    label for=(id) { (field.label) }
                    @match &field.kind {
                        FieldKind::Text => input id=(id) name=(name) value=(value(field)) data-nullable;,
                        FieldKind::Number => input id=(id) name=(name) type="number" step="any" value=(value(field)) data-nullable;,
                        FieldKind::Date => input id=(id) name=(name) type="date" value=(value(field)) data-nullable;,
                        FieldKind::YesNo => input id=(id) name=(name) type="checkbox" checked[value(field) == "true"];,
                        FieldKind::OneOf(options) => select id=(id) name=(name) data-nullable {
                            option value="" { "—" }
                            @for option in options {
                                option value=(option) selected[value(field) == option] { (option) }
                            }
                        },
                    }
                }
            }
            button type="submit" { "Save details" }
            (form_status())
        }
    }
}
