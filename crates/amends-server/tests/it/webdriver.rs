//! A small W3C WebDriver client over reqwest, enough to drive Debian's headless Chromium
//! through chromedriver: open pages, find elements, type, click, run a script, take a
//! screenshot, and run axe-core in the page.
//!
//! Missing parts (chromium, chromedriver, axe-core) make a test skip with a loud line, and fail
//! it under `CI=true`: a skipped suite is a lie.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The browser's flags this machine asks for, plus a window the size of a laptop screen.
const CHROMIUM_ARGS: [&str; 11] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
    // A window in the background (the agent's, while the customer's is in front) keeps its
    // timers and connections running as a person's screen would.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
];

fn missing(what: &str) -> Option<Browser> {
    let message = format!("{what} is missing; run scripts/browser/install");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: {message}"
    );
    eprintln!("SKIPPED browser test: {message}");
    None
}

fn found(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A chromedriver process and one browser session in it.
pub(crate) struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    base: String,
}

/// An element of the page.
#[derive(Clone)]
pub(crate) struct Element(String);

impl Browser {
    /// Starts chromedriver and a headless Chromium, or `None` (skipped) when either is absent.
    pub(crate) async fn start() -> Option<Browser> {
        Self::start_with(json!({})).await
    }

    /// A browser whose pages run no script at all, as a reader who turned scripts off has.
    pub(crate) async fn start_without_scripts() -> Option<Browser> {
        Self::start_with(json!({"profile.managed_default_content_settings.javascript": 2})).await
    }

    async fn start_with(prefs: Value) -> Option<Browser> {
        if !found("chromium") {
            return missing("chromium");
        }
        if !found("chromedriver") {
            return missing("chromedriver");
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": CHROMIUM_ARGS,
                "prefs": prefs},
            "unhandledPromptBehavior": "ignore",
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {created}"))
            .to_owned();
        Some(Browser {
            driver,
            http,
            session,
            base,
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response: Value = request.send().await.unwrap().json().await.unwrap();
        if let Some(error) = response["value"]["error"].as_str() {
            panic!(
                "webdriver {path}: {error}: {}",
                response["value"]["message"]
            );
        }
        response["value"].clone()
    }

    async fn try_call(&self, path: &str, body: Value) -> Option<Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let response: Value = self
            .http
            .post(url)
            .json(&body)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        response["value"]["error"]
            .is_null()
            .then(|| response["value"].clone())
    }

    /// Opens `url` and waits for it to load.
    pub(crate) async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// The address the browser is at.
    pub(crate) async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Opens a new window beside the current one and answers its handle (the current one's
    /// is [`Browser::window`]).
    pub(crate) async fn new_window(&self) -> String {
        let opened = self
            .call(
                reqwest::Method::POST,
                "/window/new",
                Some(json!({"type": "window"})),
            )
            .await;
        opened["handle"].as_str().unwrap().to_owned()
    }

    /// The current window's handle.
    pub(crate) async fn window(&self) -> String {
        let handle = self.call(reqwest::Method::GET, "/window", None).await;
        handle.as_str().unwrap().to_owned()
    }

    /// Goes to the window `handle`.
    pub(crate) async fn switch_to(&self, handle: &str) {
        self.call(
            reqwest::Method::POST,
            "/window",
            Some(json!({"handle": handle})),
        )
        .await;
    }

    /// Resizes the window (a phone-sized screen, say).
    pub(crate) async fn resize(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// The first element matching `css`, waiting up to twenty seconds for it to appear.
    pub(crate) async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = self
                .try_call("/element", json!({"using": "css selector", "value": css}))
                .await;
            if let Some(id) = found.as_ref().and_then(|v| v[ELEMENT].as_str()) {
                return Element(id.to_owned());
            }
            if Instant::now() >= deadline {
                let raw = self
                    .http
                    .post(format!("{}/session/{}/element", self.base, self.session))
                    .json(&json!({"using": "css selector", "value": css}))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                panic!("no element matches {css} at {}: {raw}", self.url().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every element matching `css` now (no waiting).
    pub(crate) async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|v| Element(v[ELEMENT].as_str().unwrap().to_owned()))
            .collect()
    }

    /// Waits until `script` (a function body returning a value) returns something truthy,
    /// and returns it.
    pub(crate) async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let value = self.run(script, json!([])).await;
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `script` (a function body) in the page with `args`, returning what it returns.
    pub(crate) async fn run(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Clicks `element`.
    pub(crate) async fn click(&self, element: &Element) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        )
        .await;
    }

    /// Types `text` into `element`.
    pub(crate) async fn type_into(&self, element: &Element, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", element.0),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Presses keys on whatever has the focus (`\u{E007}` is Enter).
    pub(crate) async fn keys(&self, text: &str) {
        let mut actions = Vec::new();
        for c in text.chars() {
            actions.push(json!({"type": "keyDown", "value": c.to_string()}));
            actions.push(json!({"type": "keyUp", "value": c.to_string()}));
        }
        self.call(
            reqwest::Method::POST,
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await;
    }

    /// The visible text of `element`.
    pub(crate) async fn text(&self, element: &Element) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{}/text", element.0),
            None,
        )
        .await
        .as_str()
        .unwrap()
        .to_owned()
    }

    /// The current value of a form field.
    pub(crate) async fn value(&self, element: &Element) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{}/property/value", element.0),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The visible text of the whole page.
    pub(crate) async fn page_text(&self) -> String {
        let body = self.find("body").await;
        self.text(&body).await
    }

    /// Saves a screenshot of the page as `target/screenshots/{name}.png`.
    pub(crate) async fn screenshot(&self, name: &str) {
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let dir = workspace().join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    /// Runs axe-core on the page and returns the serious and critical violations, each as
    /// "rule: nodes". Panics (or skips outside CI) when axe-core is not installed.
    pub(crate) async fn serious_accessibility_violations(&self) -> Vec<String> {
        let path = workspace().join("target/browser/node_modules/axe-core/axe.min.js");
        let Ok(axe) = std::fs::read_to_string(&path) else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true: axe-core is missing at {}; run scripts/browser/install",
                path.display()
            );
            eprintln!(
                "SKIPPED accessibility check: axe-core is missing; run scripts/browser/install"
            );
            return Vec::new();
        };
        self.run(&axe, json!([])).await;
        let result = self
            .call(
                reqwest::Method::POST,
                "/execute/async",
                Some(json!({
                    "script": "const done = arguments[arguments.length - 1];\
                        axe.run(document, {resultTypes: ['violations']})\
                          .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,\
                            nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))\
                          .catch(e => done([{id: 'axe-failed', impact: 'critical', nodes: [String(e)]}]));",
                    "args": [],
                })),
            )
            .await;
        result
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| format!("{}: {}", v["id"], v["nodes"]))
            .collect()
    }
}

impl Browser {
    /// Ends the session (closing the browser) and stops chromedriver.
    pub(crate) async fn quit(self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.http.delete(url).send().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
