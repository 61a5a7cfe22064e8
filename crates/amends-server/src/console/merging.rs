//! The case page's part in merging duplicates: merge another of the customer's cases into this
//! one, see what was merged and undo it, or, on a duplicate, where it went.

use amends_core::Case;
use maud::{html, Markup};

use super::case_file::CaseFile;
use super::form_status;

/// The merge panel of a case page.
pub(super) fn merge_panel(file: &CaseFile) -> Markup {
    let case = &file.case;
    let others: Vec<&Case> = file
        .past_cases
        .iter()
        .filter(|c| c.id != case.id && c.merged_into.is_none())
        .collect();
    html! {
        section class="panel" aria-labelledby="merge-title" {
            h2 id="merge-title" { "Duplicates" }
            @if let Some(into) = case.merged_into {
                p { "This case was merged into " a href={ "/cases/" (into) } { "case #" (into) } "." }
            }
            @for merge in file.merges.iter().filter(|m| m.undone_at.is_none()) {
                form class="inline" data-api={ "/api/v1/merges/" (merge.id) } data-method="DELETE"
                    data-nobody data-confirm="Undo this merge? What moved goes back." {
                    @if merge.survivor_id == case.id {
                        span { "Case #" (merge.duplicate_id) " was merged in. " }
                    } @else {
                        span { "Merged into case #" (merge.survivor_id) ". " }
                    }
                    button type="submit" { "Undo the merge" }
                    (form_status())
                }
            }
            @if case.merged_into.is_none() {
                form data-api={ "/api/v1/cases/" (case.id) "/merges" }
                    data-confirm="Merge that case into this one? Its messages, facts, promises and compensation move here and it is closed." {
                    label for="duplicate-id" { "Merge a duplicate of this case into it" }
                    input id="duplicate-id" name="duplicate_id" data-type="int" type="number" min="1"
                        list="customer-cases" placeholder="case number" required;
                    datalist id="customer-cases" {
                        @for other in &others {
                            option value=(other.id) { "#" (other.id) " " (other.subject) }
                        }
                    }
                    button type="submit" { "Merge into this case" }
                    (form_status())
                }
            }
        }
    }
}
