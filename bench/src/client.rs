//! A small GraphQL-over-HTTPS client.

use std::time::Duration;

use anyhow::{anyhow, Context as _};
use serde_json::{json, Value};

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// A GraphQL error with this `extensions.code`.
    Error(String),
    /// No GraphQL answer at all (connection, timeout, HTTP status).
    Transport(String),
}

#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    pub base: String,
}

impl Client {
    /// `insecure` accepts the api's self-signed certificate (local stacks only).
    pub fn new(base: &str, insecure: bool) -> anyhow::Result<Self> {
        // HTTP/1.1, as the browsers' requests were measured so far (reqwest
        // could negotiate HTTP/2 with the api).
        let http = reqwest::Client::builder()
            .http1_only()
            .danger_accept_invalid_certs(insecure)
            .pool_max_idle_per_host(1024)
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned() })
    }

    /// Sends one GraphQL request; returns the outcome and the response body.
    pub async fn graphql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (Outcome, Value) {
        self.operation(token, query, None, variables).await
    }

    /// Like [`graphql`](Self::graphql), naming which operation of a document
    /// that holds several to run (`operationName`).
    pub async fn operation(
        &self,
        token: Option<&str>,
        query: &str,
        operation_name: Option<&str>,
        variables: Value,
    ) -> (Outcome, Value) {
        let mut request = self.http.post(format!("{}/graphql", self.base)).json(&json!({
            "query": query,
            "operationName": operation_name,
            "variables": variables,
        }));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return (Outcome::Transport(short(&e)), Value::Null),
        };
        let status = response.status();
        let body: Value = match response.json().await {
            Ok(b) => b,
            Err(_) => return (Outcome::Transport(format!("HTTP {status}")), Value::Null),
        };
        match body["errors"][0]["extensions"]["code"].as_str() {
            Some(code) => (Outcome::Error(code.to_owned()), body),
            None if body["errors"].is_array() => (Outcome::Error("UNKNOWN".into()), body),
            None => (Outcome::Ok, body),
        }
    }

    /// Like [`graphql`](Self::graphql) but any error is an `Err`.
    pub async fn must(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        match self.graphql(token, query, variables).await {
            (Outcome::Ok, body) => Ok(body["data"].clone()),
            (outcome, body) => Err(anyhow!("{outcome:?}: {}", body["errors"])),
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let data = self
            .must(
                None,
                "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
                json!({ "u": username, "p": password }),
            )
            .await
            .with_context(|| format!("logging in as {username}"))?;
        data["login"]["token"].as_str().map(str::to_owned).ok_or_else(|| anyhow!("no token"))
    }

    /// The api's `/healthz` report.
    pub async fn health(&self) -> anyhow::Result<Value> {
        Ok(self.http.get(format!("{}/healthz", self.base)).send().await?.json().await?)
    }
}

fn short(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connect".into()
    } else {
        "transport".into()
    }
}
