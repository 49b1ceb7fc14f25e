//! GraphiQL as the api serves it (`GET /graphql`, built from the npm
//! packages by `scripts/build-web.sh`), in a browser cut off from the
//! internet: it loads, signs in, takes a token in its Headers tab, answers
//! `me`, and streams a subscription over `/graphql/ws` as that token's user;
//! nothing is asked of another host and nothing is refused by the page's
//! Content-Security-Policy.

use std::time::Duration;

use careledger::users::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::harness::{Browser, Server, PASSWORD, PATIENCE};

const QUERY_EDITOR: &str = ".graphiql-query-editor .CodeMirror";
const HEADERS_EDITOR: &str = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror";
const RESPONSE: &str = ".result-window .CodeMirror";
const RUN: &str = ".graphiql-execute-button";
const TAB: &str = ".graphiql-tab-active .graphiql-tab-button";

impl Browser {
    /// The text of one of GraphiQL's editors (CodeMirror keeps it).
    async fn editor(&self, css: &str) -> String {
        self.find(css).await;
        let js = format!("return document.querySelector({css:?}).CodeMirror.getValue()");
        self.script(&js).await.as_str().expect("editor text").to_owned()
    }

    /// Puts `text` in the query editor, as a paste would, and waits until
    /// GraphiQL has read it: the tab takes the name of its operation `name`.
    async fn paste_query(&self, name: &str, text: &str) {
        self.find(QUERY_EDITOR).await;
        let js = format!(
            "document.querySelector({QUERY_EDITOR:?}).CodeMirror.setValue({text:?}); return true"
        );
        self.script(&js).await;
        assert_eq!(self.text_becomes(TAB, name).await, name, "the tab names the operation");
    }

    /// Scrolls an editor back to its first column (typing left it at the end
    /// of a long line), for a screenshot.
    async fn show_start_of(&self, css: &str) {
        let js = format!("document.querySelector({css:?}).CodeMirror.scrollTo(0, 0); return true");
        self.script(&js).await;
    }

    /// Whether no element matches `css` within the patience (after a close).
    async fn gone(&self, css: &str) -> bool {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::time::Instant::now() < deadline {
            if !self.has(css).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Runs what the query editor holds and waits for an answer that differs
    /// from the one shown before; returns it parsed.
    async fn run(&self) -> Value {
        let before = self.editor(RESPONSE).await;
        self.click(RUN).await;
        self.answer_where(|text| text != before).await
    }

    /// Waits until the response pane holds JSON whose text passes `wanted`.
    async fn answer_where(&self, wanted: impl Fn(&str) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut text = String::new();
        while tokio::time::Instant::now() < deadline {
            text = self.editor(RESPONSE).await;
            if wanted(&text) {
                if let Ok(value) = serde_json::from_str(&text) {
                    return value;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("GraphiQL showed no such answer; it shows: {text}");
    }
}

/// What an answer's receipts say: (event, action, resource, approved).
fn receipts(answer: &Value) -> Vec<(String, String, String, bool)> {
    let list = answer["extensions"]["audit"].as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (s("event"), s("action"), s("resource"), r["approved"].as_bool().unwrap_or_default())
        })
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn graphiql_works_offline_signs_in_runs_me_and_subscribes(pool: PgPool) {
    let server = Server::start(pool).await;
    server.user("ida_audits", Role::Auditor).await;
    let doctor = server.user("dr_graph", Role::Doctor).await;
    let doctor_id = doctor.system_id.expect("system id").to_string();
    let b = Browser::offline(&server.base).await;

    b.goto("/graphql").await;
    let headers = b.editor(HEADERS_EDITOR).await;
    assert_eq!(headers, "{\n  \"Authorization\": \"Bearer \"\n}", "a place for the token, shown");

    // Without a token `me` is refused: "Bearer " alone is no token.
    b.paste_query("Me", "query Me { me { username } }").await;
    let refused = b.run().await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{refused}");
    assert_eq!(refused["data"], Value::Null, "{refused}");

    // Sign in from GraphiQL itself.
    let login = format!(
        "mutation SignIn {{ login(username: \"ida_audits\", password: {PASSWORD:?}) {{ token }} }}"
    );
    b.paste_query("SignIn", &login).await;
    let login = b.run().await;
    let token = login["data"]["login"]["token"].as_str().unwrap_or_else(|| panic!("{login}"));

    // Type the token after "Bearer " in the Headers tab.
    b.click(HEADERS_EDITOR).await;
    let js = format!(
        "const cm = document.querySelector({HEADERS_EDITOR:?}).CodeMirror; \
         cm.focus(); cm.setCursor({{ line: 1, ch: cm.getLine(1).lastIndexOf('\"') }}); return true"
    );
    b.script(&js).await;
    b.client.active_element().await.expect("focused editor").send_keys(token).await.expect("type");
    assert_eq!(
        b.editor(HEADERS_EDITOR).await,
        format!("{{\n  \"Authorization\": \"Bearer {token}\"\n}}")
    );

    b.paste_query("Me", "query Me { me { username } }").await;
    let me = b.run().await;
    assert_eq!(me["data"], json!({ "me": { "username": "ida_audits" } }), "{me}");
    assert_eq!(me.get("errors"), None, "{me}");
    let read = ("AccessRequested".into(), "READ".into(), "USER_RECORD".into(), true);
    assert_eq!(receipts(&me), [read], "{me}");
    b.show_start_of(HEADERS_EDITOR).await;
    b.screenshot("graphiql").await;

    // A subscription runs as the same token, over /graphql/ws: the doctor's
    // reads of their own account reach the auditor's GraphiQL.
    let feed = format!(
        "subscription Feed {{\n  auditEvents(filter: {{ actor: \"{doctor_id}\", action: READ }}) {{\n    \
         kind action resource approved actorSystemId\n  }}\n}}"
    );
    b.paste_query("Feed", &feed).await;
    b.click(RUN).await;
    let doctor_token = server.token("dr_graph").await;
    let expected = json!({ "data": { "auditEvents": {
        "kind": "ACCESS_REQUESTED", "action": "READ", "resource": "USER_RECORD",
        "approved": true, "actorSystemId": doctor_id,
    } } });
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let event = loop {
        // The feed starts once the contract approved the auditor's search:
        // read again until a read after that shows.
        let out = server.app.raw(Some(&doctor_token), "{ me { username } }", json!({})).await;
        assert_eq!(out["data"]["me"]["username"], "dr_graph", "{out}");
        let text = b.editor(RESPONSE).await;
        if let Ok(event) = serde_json::from_str::<Value>(&text) {
            if event.get("data").is_some_and(|d| d.get("auditEvents").is_some()) {
                break event;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "no event in GraphiQL; it shows: {text}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(event, expected);
    b.show_start_of(HEADERS_EDITOR).await;
    b.screenshot("graphiql-subscription").await;

    // A dialog (settings) opens and closes; it locks the page's scrolling
    // with a stylesheet of its own, which must not be one the policy refuses.
    b.click(".graphiql-sidebar button[aria-label='Open settings dialog']").await;
    assert_eq!(b.text(".graphiql-dialog-title").await, "Settings");
    b.click(".graphiql-dialog-close").await;
    assert!(b.gone(".graphiql-dialog").await, "the dialog closed");

    // Everything the page asked for came from this server (the socket too),
    // and the policy refused nothing.
    let requests = b.requests().await;
    let socket = server.base.replacen("https://", "wss://", 1);
    let foreign: Vec<_> = requests
        .iter()
        .filter(|u| !u.starts_with(&format!("{}/", server.base)))
        .filter(|u| !u.starts_with(&format!("{socket}/")) && !u.starts_with("data:"))
        .collect();
    assert!(foreign.is_empty(), "requests beyond this server: {foreign:?}");
    for wanted in ["/graphql", "/graphiql/graphiql.js", "/graphiql/graphiql.css"] {
        let url = format!("{}{wanted}", server.base);
        assert!(requests.contains(&url), "{url} was loaded: {requests:?}");
    }
    assert!(requests.contains(&format!("{socket}/graphql/ws")), "a socket: {requests:?}");
    let fonts = requests.iter().filter(|u| u.contains("/graphiql/fonts/")).count();
    assert!(fonts > 0, "the fonts are files from this server: {requests:?}");
    let console = b.console().await;
    let severe: Vec<_> = console.iter().filter(|m| m.starts_with("SEVERE")).collect();
    assert!(severe.is_empty(), "errors in the console: {severe:?}");
    b.close().await;
}
