//! Parsed queries, remembered. A client (the web app, an integration) sends
//! the same few query texts over and over with different variables; parsing
//! one was about a fifteenth of the api's CPU time under the read benchmark.
//! The parse depends on the text alone, so each text's parsed document is
//! kept, least recently used dropped first. Validation, limits, guards and
//! execution still run for every request, with its own variables.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Variables};
use lru::LruCache;

/// How many distinct query texts are kept.
pub const CAPACITY: usize = 256;
/// Longer texts are parsed every time, so the cache's memory stays small
/// (at most about `CAPACITY` × this, plus the documents).
pub const MAX_QUERY_BYTES: usize = 4096;

/// The schema extension that keeps parsed documents.
#[derive(Clone)]
pub struct ParsedDocuments {
    cache: Arc<Mutex<LruCache<Box<str>, ExecutableDocument>>>,
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        let capacity = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        Self { cache: Arc::new(Mutex::new(LruCache::new(capacity))) }
    }
}

impl ParsedDocuments {
    fn get(&self, query: &str) -> Option<ExecutableDocument> {
        self.cache.lock().ok()?.get(query).cloned()
    }

    fn keep(&self, query: &str, document: &ExecutableDocument) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(query.into(), document.clone());
        }
    }

    /// How many texts are kept now.
    pub fn len(&self) -> usize {
        self.cache.lock().map(|c| c.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ExtensionFactory for ParsedDocuments {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ParsedDocuments {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if query.len() > MAX_QUERY_BYTES {
            return next.run(ctx, query, variables).await;
        }
        if let Some(document) = self.get(query) {
            return Ok(document);
        }
        let document = next.run(ctx, query, variables).await?;
        self.keep(query, &document);
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Request, Schema};
    use serde_json::json;

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        async fn echo(&self, text: String) -> String {
            text
        }
    }

    fn schema(documents: &ParsedDocuments) -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).extension(documents.clone()).finish()
    }

    async fn run(documents: &ParsedDocuments, query: &str, text: &str) -> serde_json::Value {
        let request = Request::new(query).variables(Variables::from_json(json!({ "t": text })));
        serde_json::to_value(schema(documents).execute(request).await).expect("json")
    }

    #[tokio::test]
    async fn a_remembered_text_runs_with_each_requests_own_variables() {
        let documents = ParsedDocuments::default();
        let query = "query($t: String!) { echo(text: $t) }";
        assert_eq!(run(&documents, query, "first").await["data"], json!({ "echo": "first" }));
        assert_eq!(documents.len(), 1);
        assert_eq!(run(&documents, query, "second").await["data"], json!({ "echo": "second" }));
        assert_eq!(documents.len(), 1, "the same text is kept once");
    }

    #[tokio::test]
    async fn syntax_errors_and_long_texts_are_not_kept() {
        let documents = ParsedDocuments::default();
        for _ in 0..2 {
            let out = run(&documents, "query($t: String!) { echo(text: $t) ", "x").await;
            assert_eq!(out["data"], serde_json::Value::Null);
            assert!(
                out["errors"][0]["message"].as_str().is_some_and(|m| m.contains("expected")),
                "{out}"
            );
        }
        let long =
            format!("query($t: String!) {{ echo(text: $t) }}{}", " ".repeat(MAX_QUERY_BYTES));
        assert_eq!(run(&documents, &long, "long").await["data"], json!({ "echo": "long" }));
        assert!(documents.is_empty());
    }

    #[tokio::test]
    async fn the_least_recently_used_text_goes_first() {
        let documents = ParsedDocuments::default();
        for n in 0..=CAPACITY {
            let query = format!("query($t: String!) {{ echo(text: $t) }} # {n}");
            assert_eq!(run(&documents, &query, "x").await["data"], json!({ "echo": "x" }));
        }
        assert_eq!(documents.len(), CAPACITY);
        assert!(documents.get("query($t: String!) { echo(text: $t) } # 0").is_none());
        assert!(documents
            .get(&format!("query($t: String!) {{ echo(text: $t) }} # {CAPACITY}"))
            .is_some());
    }
}
