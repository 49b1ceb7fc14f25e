//! A bound on the top-level fields of one document.
//!
//! Every top-level field but `login`, `systemStatus` and the like is an
//! access decision the contract records on chain, and aliases let a document
//! ask for the same field many times: under the complexity limit alone about
//! 250 aliased `user(id:)` fields fit in one request, so one caller could add
//! 250 events to a patient's report with one click. A document whose
//! operation has more than [`MAX_TOP_LEVEL_FIELDS`] top-level fields
//! (fragments and inline fragments counted through) is refused before
//! anything runs, with `BAD_REQUEST`.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, ServerError, ServerResult, Variables};

/// The most top-level fields one operation may ask for.
pub const MAX_TOP_LEVEL_FIELDS: usize = 10;

/// The schema extension that enforces [`MAX_TOP_LEVEL_FIELDS`].
#[derive(Clone, Copy, Default)]
pub struct TopLevelFieldLimit;

impl ExtensionFactory for TopLevelFieldLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for TopLevelFieldLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let most = document
            .operations
            .iter()
            .map(|(_, op)| count(&document, &op.node.selection_set.node, &mut HashSet::new()))
            .max()
            .unwrap_or(0);
        if most > MAX_TOP_LEVEL_FIELDS {
            return Err(ServerError::new(
                format!(
                    "one request may ask for at most {MAX_TOP_LEVEL_FIELDS} top-level fields \
                     (each is an access decision recorded on chain); this one asks for {most}: \
                     send several requests"
                ),
                None,
            ));
        }
        Ok(document)
    }
}

/// The fields `set` selects at its own level. A fragment is counted once
/// per path that spreads it; a fragment that spreads itself (refused later
/// by validation) is not followed again.
fn count(document: &ExecutableDocument, set: &SelectionSet, open: &mut HashSet<Name>) -> usize {
    set.items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(inline) => {
                count(document, &inline.node.selection_set.node, open)
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                let Some(fragment) = document.fragments.get(name) else { return 0 };
                if !open.insert(name.clone()) {
                    return 0;
                }
                let n = count(document, &fragment.node.selection_set.node, open);
                open.remove(name);
                n
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Request, Schema};

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        async fn n(&self) -> i32 {
            1
        }
    }

    async fn errors(query: &str) -> Vec<String> {
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(TopLevelFieldLimit)
            .finish();
        schema.execute(Request::new(query)).await.errors.into_iter().map(|e| e.message).collect()
    }

    fn aliases(n: usize) -> String {
        (0..n).map(|i| format!("a{i}: n ")).collect()
    }

    #[tokio::test]
    async fn ten_top_level_fields_pass_and_eleven_are_refused() {
        assert_eq!(errors(&format!("{{ {} }}", aliases(10))).await, Vec::<String>::new());
        assert_eq!(
            errors(&format!("{{ {} }}", aliases(11))).await,
            ["one request may ask for at most 10 top-level fields (each is an access decision \
              recorded on chain); this one asks for 11: send several requests"]
        );
    }

    #[tokio::test]
    async fn fragments_and_inline_fragments_are_counted_through() {
        let spread = format!("{{ ...F ...F }} fragment F on Query {{ {} }}", aliases(6));
        assert_eq!(errors(&spread).await.len(), 1, "12 through a fragment spread twice");
        let inline = format!("{{ n ... on Query {{ {} }} }}", aliases(10));
        assert_eq!(errors(&inline).await.len(), 1, "11 through an inline fragment");
        let cycle = "{ ...F } fragment F on Query { n ...F }";
        let refused = errors(cycle).await;
        assert!(!refused.iter().any(|e| e.contains("top-level")), "{refused:?}");
    }
}
