//! A real api on a free port, and browsers driven through chromedriver.

use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use sqlx::PgPool;

use crate::support::{self, TempDir, TestApp};

/// Longest wait for the page to reach an expected state (a readiness bound,
/// not an assertion on timing).
pub const PATIENCE: Duration = Duration::from_secs(30);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn web_dist() -> PathBuf {
    let dir = repo().join("web/dist");
    assert!(
        dir.join("index.html").exists() && dir.join("careledger_web_bg.wasm").exists(),
        "the web app is not built: run `scripts/build-web.sh` (or `make web`) before the browser tests"
    );
    dir
}

fn tool(var: &str, default: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.exists(),
        "{what} not found at {} (set {var}, or install Debian's chromium and chromium-driver: `make deps-test`)",
        path.display()
    );
    path
}

/// The api serving the app over HTTPS (self-signed) on a free port.
pub struct Server {
    pub app: TestApp,
    pub base: String,
    /// The same server by name, `https://localhost:<port>`: its WebAuthn
    /// origin, where passkeys work (a browser refuses them at an address).
    pub origin: String,
    handle: axum_server::Handle,
}

impl Server {
    pub async fn start(pool: PgPool) -> Self {
        let dist = web_dist();
        let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let origin = format!("https://localhost:{port}");
        let app = support::app_with(pool, &[("CARELEDGER_WEBAUTHN_ORIGIN", origin.as_str())]).await;
        let mut state = app.state.clone();
        state.web_dir = dist;
        let files =
            careledger::http::tls::ensure_files(&state.config.data_dir, None).expect("tls files");
        let tls = careledger::http::tls::load(&files).await.expect("tls config");
        let handle = axum_server::Handle::new();
        let service =
            careledger::http::router(state).into_make_service_with_connect_info::<SocketAddr>();
        let server = axum_server::from_tcp_rustls(listener, tls).handle(handle.clone());
        tokio::spawn(async move {
            let _ = server.serve(service).await;
        });
        Self { app, base: format!("https://127.0.0.1:{port}"), origin, handle }
    }

    /// Stops answering (for the "server unreachable" case).
    pub fn stop(&self) {
        self.handle.shutdown();
    }

    /// Adds an account with a fixed test password; returns it.
    pub async fn user(
        &self,
        username: &str,
        role: careledger::users::Role,
    ) -> careledger::users::User {
        self.app.add_user(username, PASSWORD, role).await
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

/// One browser session (its own chromedriver and fresh profile).
pub struct Browser {
    pub client: Client,
    pub base: String,
    driver: Child,
    _profile: TempDir,
}

impl Browser {
    pub async fn open(base: &str) -> Self {
        Self::launch(base, None, false).await
    }

    /// A phone-sized browser (360 × 740 CSS pixels, touch).
    pub async fn phone(base: &str) -> Self {
        Self::launch(base, Some(serde_json::json!({ "deviceMetrics": { "width": 360, "height": 740, "pixelRatio": 1.0, "touch": true } })), false).await
    }

    /// A browser cut off from the internet: every host name but 127.0.0.1
    /// fails to resolve, so a load from anywhere else fails. It keeps its
    /// network and console logs ([`Browser::requests`], [`Browser::console`])
    /// to show what it tried.
    pub async fn offline(base: &str) -> Self {
        Self::launch(base, None, true).await
    }

    async fn launch(base: &str, mobile: Option<serde_json::Value>, offline: bool) -> Self {
        let chromium = tool("CHROMIUM_BIN", "/usr/bin/chromium", "Chromium");
        let chromedriver = tool("CHROMEDRIVER_BIN", "/usr/bin/chromedriver", "chromedriver");
        let port =
            TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        // Its own process group, so the browsers it starts end with it.
        let driver = Command::new(&chromedriver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let profile = TempDir::new();
        let mut caps = serde_json::Map::new();
        caps.insert("acceptInsecureCerts".into(), serde_json::json!(true));
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--ignore-certificate-errors", "--window-size=1280,900",
                    "--force-device-scale-factor=1", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.0.display()),
                ]
            }),
        );
        if offline {
            caps.get_mut("goog:chromeOptions")
                .and_then(|o| o.get_mut("args"))
                .and_then(|a| a.as_array_mut())
                .expect("args")
                .push(serde_json::json!(
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
                ));
            caps.insert(
                "goog:loggingPrefs".into(),
                serde_json::json!({ "performance": "ALL", "browser": "ALL" }),
            );
        }
        if let Some(m) = mobile {
            caps.get_mut("goog:chromeOptions")
                .and_then(|o| o.as_object_mut())
                .expect("options")
                .insert("mobileEmulation".into(), m);
        }
        let url = format!("http://127.0.0.1:{port}");
        // chromedriver takes a moment to listen: retry the session until it does.
        let mut attempt = 0;
        let client = loop {
            let connected = ClientBuilder::rustls()
                .expect("tls")
                .capabilities(caps.clone())
                .connect(&url)
                .await;
            match connected {
                Ok(c) => break c,
                Err(e) if attempt < 100 => {
                    attempt += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("chromedriver at {url} did not start a Chromium session: {e}"),
            }
        };
        Self { client, base: base.to_owned(), driver, _profile: profile }
    }

    /// Moves to `path` inside the running app, as a link would (a full page
    /// load would forget the session, which lives in memory only).
    pub async fn visit(&self, path: &str) {
        let js = format!("history.pushState(null, '', {path:?}); window.dispatchEvent(new PopStateEvent('popstate')); return true");
        self.script(&js).await;
    }

    /// Loads `path` from the server (a fresh start of the app).
    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.expect("navigate");
    }

    /// The element once it exists.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element `{css}` on the page: {e}"))
    }

    /// Whether an element exists right now.
    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// The texts of every element matching `css` right now.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = vec![];
        for e in self.client.find_all(Locator::Css(css)).await.expect("find all") {
            out.push(e.text().await.expect("text"));
        }
        out
    }

    /// Waits until the element's text is `expected`, then returns it (so the
    /// caller's assert shows the real value when the page never gets there).
    pub async fn text_becomes(&self, css: &str, expected: &str) -> String {
        let mut seen = String::new();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::time::Instant::now() < deadline {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                seen = e.text().await.unwrap_or_default();
                if seen == expected {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        seen
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clear");
        e.send_keys(value).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Signs in through the form and waits for the home page.
    pub async fn login(&self, username: &str, password: &str) {
        self.goto("/").await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click("#sign-in").await;
        self.find("#welcome").await;
    }

    pub async fn script(&self, js: &str) -> serde_json::Value {
        self.client.execute(js, vec![]).await.expect("script")
    }

    /// Saves the viewport as `target/screenshots/<name>.png` (`make screenshots`
    /// copies them to `docs/screenshots/`, which the README shows).
    pub async fn screenshot(&self, name: &str) {
        // Let fonts and the last frame settle before capturing.
        let _ = self.script("return document.fonts.ready.then(() => true)").await;
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = repo().join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshots dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    /// Ends chromedriver and every browser it started (its process group),
    /// also when a test fails before `close`.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

impl Server {
    /// Signs `username` in through the api (not the browser); returns the token.
    pub async fn token(&self, username: &str) -> String {
        self.app.login(username, PASSWORD).await
    }

    /// Creates a record through the api as the holder of `token`; returns its id.
    pub async fn record(
        &self,
        token: &str,
        patient: &str,
        kind: &str,
        title: &str,
        content: serde_json::Value,
    ) -> String {
        let out = self
            .app
            .raw(
                Some(token),
                "mutation($i: CreateRecordInput!) { createRecord(input: $i) { id } }",
                serde_json::json!({ "i": { "patientId": patient, "recordType": kind, "title": title, "content": content } }),
            )
            .await;
        out["data"]["createRecord"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createRecord failed: {out}"))
            .to_owned()
    }

    /// Writes a new version through the api; returns the new version number.
    pub async fn update(
        &self,
        token: &str,
        id: &str,
        expected: i64,
        title: &str,
        content: serde_json::Value,
    ) -> i64 {
        let out = self
            .app
            .raw(
                Some(token),
                "mutation($id: ID!, $v: Int!, $i: UpdateRecordInput!) { updateRecord(id: $id, expectedVersion: $v, input: $i) { version } }",
                serde_json::json!({ "id": id, "v": expected, "i": { "title": title, "content": content } }),
            )
            .await;
        out["data"]["updateRecord"]["version"]
            .as_i64()
            .unwrap_or_else(|| panic!("updateRecord failed: {out}"))
    }
}

impl Browser {
    /// Scrolls an element to the top of the viewport (before a screenshot).
    pub async fn scroll_to(&self, css: &str) {
        self.find(css).await;
        let js = format!(
            "document.querySelector({css:?}).scrollIntoView({{block: 'start'}}); return true"
        );
        self.script(&js).await;
    }

    /// Sorted texts of the elements matching `css` (for order-free comparisons).
    pub async fn sorted_texts(&self, css: &str) -> Vec<String> {
        let mut t = self.texts(css).await;
        t.sort();
        t
    }
}

impl Browser {
    /// Waits until a row of the events table `table` reads `cells` (who,
    /// what, about, verdict), then returns that row's cells (or the first
    /// row's, if none ever matched, for the caller's assert to show).
    pub async fn row_becomes(&self, table: &str, cells: &[&str]) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut first = vec![];
        while tokio::time::Instant::now() < deadline {
            if let Ok(rows) = self.client.find_all(Locator::Css(&format!("{table} tbody tr"))).await
            {
                for (i, row) in rows.into_iter().enumerate() {
                    let mut texts = vec![];
                    for td in row.find_all(Locator::Css("td")).await.unwrap_or_default() {
                        texts.push(td.text().await.unwrap_or_default());
                    }
                    let who_what = texts.get(1..5).map(<[String]>::to_vec).unwrap_or_default();
                    if who_what == cells {
                        return who_what;
                    }
                    if i == 0 {
                        first = who_what;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        first
    }
}

/// chromedriver's log of one kind (`performance`, `browser`) since the last
/// call; not one of fantoccini's commands.
#[derive(Debug)]
struct ReadLog(&'static str);

/// `url::ParseError`, named through reqwest's `Url` (the same crate).
type UrlError = <reqwest::Url as std::str::FromStr>::Err;

impl fantoccini::wd::WebDriverCompatibleCommand for ReadLog {
    fn endpoint(
        &self,
        base: &reqwest::Url,
        session: Option<&str>,
    ) -> Result<reqwest::Url, UrlError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(serde_json::json!({ "type": self.0 }).to_string()))
    }
}

impl Browser {
    async fn log(&self, kind: &'static str) -> Vec<serde_json::Value> {
        let entries = self.client.issue_cmd(ReadLog(kind)).await.expect("read the browser's log");
        entries.as_array().cloned().unwrap_or_default()
    }

    /// Every URL asked for since the last call (documents, scripts, styles,
    /// fonts, fetches, WebSockets), whether or not it loaded; the browser's
    /// own `chrome://` pages (its start page) are not the network and are
    /// left out. Needs a browser from [`Browser::offline`].
    pub async fn requests(&self) -> Vec<String> {
        let mut urls = vec![];
        for entry in self.log("performance").await {
            let text = entry["message"].as_str().unwrap_or_default();
            let event: serde_json::Value = serde_json::from_str(text).expect("a DevTools event");
            let params = &event["message"]["params"];
            let url = match event["message"]["method"].as_str() {
                Some("Network.requestWillBeSent") => params["request"]["url"].as_str(),
                Some("Network.webSocketCreated") => params["url"].as_str(),
                _ => None,
            };
            urls.extend(url.filter(|u| !u.starts_with("chrome://")).map(str::to_owned));
        }
        urls
    }

    /// The console's messages since the last call, as `LEVEL text` (a
    /// refusal by the Content-Security-Policy is one, at SEVERE). Needs a
    /// browser from [`Browser::offline`].
    pub async fn console(&self) -> Vec<String> {
        let entries = self.log("browser").await;
        entries
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["level"].as_str().unwrap_or_default(),
                    e["message"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }
}

/// WebDriver's WebAuthn extension: a virtual authenticator for the session
/// (`POST /session/{id}/webauthn/authenticator`); not one of fantoccini's
/// commands.
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base: &reqwest::Url,
        session: Option<&str>,
    ) -> Result<reqwest::Url, UrlError> {
        base.join(&format!("session/{}/webauthn/authenticator", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        let body = serde_json::json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
        });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

impl Browser {
    /// Gives the browser a platform authenticator that makes and uses
    /// passkeys with user verification (as a fingerprint reader would),
    /// answering without a person; returns its id.
    pub async fn add_virtual_authenticator(&self) -> String {
        let id = self
            .client
            .issue_cmd(AddVirtualAuthenticator)
            .await
            .expect("chromedriver adds a virtual authenticator");
        id.as_str().expect("an authenticator id").to_owned()
    }
}

impl Browser {
    /// The cells' texts of each body row of the table `table`, right now.
    pub async fn rows(&self, table: &str) -> Vec<Vec<String>> {
        let mut out = vec![];
        let found = self.client.find_all(Locator::Css(&format!("{table} tbody tr"))).await;
        for row in found.unwrap_or_default() {
            let mut cells = vec![];
            for td in row.find_all(Locator::Css("td")).await.unwrap_or_default() {
                cells.push(td.text().await.unwrap_or_default());
            }
            out.push(cells);
        }
        out
    }

    /// Waits until the body rows of `table` read `expected`, then returns
    /// them (or what they last read, for the caller's assert to show).
    pub async fn rows_become(&self, table: &str, expected: &[&[&str]]) -> Vec<Vec<String>> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let rows = self.rows(table).await;
            if rows
                .iter()
                .map(|r| r.iter().map(String::as_str).collect::<Vec<_>>())
                .eq(expected.iter().map(|r| r.to_vec()))
                || tokio::time::Instant::now() >= deadline
            {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Picks the option `value` of the select `select`.
    pub async fn choose(&self, select: &str, value: &str) {
        self.click(&format!("{select} option[value='{value}']")).await;
    }

    /// Sets an input's value as typing it would (for inputs a keyboard
    /// fills awkwardly, such as dates, whose typing order follows the locale).
    pub async fn set_value(&self, css: &str, value: &str) {
        self.find(css).await;
        let js = format!(
            "const e = document.querySelector({css:?}); e.value = {value:?}; \
             e.dispatchEvent(new Event('input', {{ bubbles: true }})); return true"
        );
        self.script(&js).await;
    }
}

impl Server {
    /// Breaks the glass through the api as the holder of `token`; returns the grant's id.
    pub async fn break_glass(
        &self,
        token: &str,
        patient: &str,
        reason: &str,
        justification: &str,
    ) -> String {
        let out = self
            .app
            .raw(
                Some(token),
                "mutation($p: ID!, $r: GlassReason!, $j: String!, $w: String!) { breakGlass(patientId: $p, reason: $r, justification: $j, password: $w) { id } }",
                serde_json::json!({ "p": patient, "r": reason, "j": justification, "w": PASSWORD }),
            )
            .await;
        out["data"]["breakGlass"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("breakGlass failed: {out}"))
            .to_owned()
    }

    /// How many records the holder of `token` reads of `patient` now, or the
    /// refusal's code and its `careRelationship` flag.
    pub async fn reads(&self, token: &str, patient: &str) -> Result<usize, String> {
        use crate::ops::{patient_records, PatientRecords};
        let vars = patient_records::Variables { patient_id: patient.to_owned() };
        let reply = self.app.run::<PatientRecords>(Some(token), vars).await;
        match reply.code() {
            "(no error)" => Ok(reply.ok().patient_records.len()),
            code => Err(format!("{code} careRelationship={}", reply.extension("careRelationship"))),
        }
    }

    /// The one timestamp `select` reads, as the app shows times: `YYYY-MM-DD HH:MM` (UTC).
    pub async fn minute(&self, select: &str) -> String {
        let sql = format!("SELECT to_char(({select}) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')");
        sqlx::query_scalar::<_, String>(&sql)
            .fetch_one(&self.app.state.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}
