//! The example repo's catalog in a real browser: Debian's `chromium` (installed by `cargo xtask
//! ci` like the other peers), headless, driven over the DevTools protocol (a websocket, JSON
//! messages) from here. It opens the index and an event page from `file://`, fails on any console
//! error, exception or failed load, types a field name into the search box, picks two versions to
//! compare, checks that every link and image of both pages resolves to a file (and anchor), and
//! writes screenshots to `target/catalog-browser/` for people to look at. Without chromium this
//! test fails, never skips.

use std::io::BufRead;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

type Socket = tungstenite::WebSocket<TcpStream>;

/// The chromium binary: `HERALD_CHROMIUM`, else `chromium` on the PATH.
fn chromium() -> String {
    let chromium = std::env::var("HERALD_CHROMIUM").unwrap_or_else(|_| "chromium".to_owned());
    let found = Command::new(&chromium)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "chromium is not available ({chromium}); install it with `cargo xtask deps` (apt-get install chromium)"
    );
    chromium
}

/// A headless chromium, killed when dropped.
struct Browser {
    child: Child,
    socket: Socket,
    next_id: u64,
    /// Events received while waiting for answers: (session, method, params).
    events: Vec<(Option<String>, String, Value)>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn launch() -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--remote-debugging-port=0",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        // Chromium writes its port and the browser's websocket path to DevToolsActivePort.
        let port_file = profile.path().join("DevToolsActivePort");
        let started = Instant::now();
        let (port, path) = loop {
            if let Ok(f) = std::fs::File::open(&port_file) {
                let lines: Vec<String> = std::io::BufReader::new(f).lines().map_while(Result::ok).collect();
                if lines.len() >= 2 {
                    break (lines[0].clone(), lines[1].clone());
                }
            }
            if started.elapsed() > Duration::from_secs(30) || child.try_wait().ok().flatten().is_some() {
                let _ = child.kill();
                panic!("chromium did not start its DevTools server within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect to DevTools");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        let (socket, _) =
            tungstenite::client(format!("ws://127.0.0.1:{port}{path}"), stream).expect("websocket handshake");
        Browser {
            child,
            socket,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        }
    }

    /// Sends a command (to a page's session when given) and returns its result.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        self.socket
            .send(tungstenite::Message::text(message.to_string()))
            .expect("send to chromium");
        loop {
            let m = self.read();
            if m["id"] == json!(id) {
                assert!(m.get("error").is_none(), "{method} failed: {}", m["error"]);
                return m["result"].clone();
            }
        }
    }

    fn read(&mut self) -> Value {
        loop {
            let frame = self.socket.read().expect("read from chromium");
            let tungstenite::Message::Text(text) = frame else {
                continue;
            };
            let m: Value = serde_json::from_str(text.as_str()).expect("JSON from chromium");
            if let Some(method) = m["method"].as_str() {
                let session = m["sessionId"].as_str().map(str::to_owned);
                self.events.push((session, method.to_owned(), m["params"].clone()));
                if m.get("id").is_none() {
                    return m;
                }
            }
            return m;
        }
    }

    /// Waits for an event of `method` on `session`.
    fn wait_for(&mut self, session: &str, method: &str) {
        let started = Instant::now();
        let seen = |b: &Browser| {
            b.events
                .iter()
                .any(|(s, m, _)| s.as_deref() == Some(session) && m == method)
        };
        while !seen(self) {
            assert!(started.elapsed() < Duration::from_secs(30), "no {method} within 30 s");
            self.read();
        }
    }

    /// A new page (tab) with its session, the domains the test listens to enabled.
    fn page(&mut self) -> String {
        let target = self.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        let session = attached["sessionId"].as_str().expect("session").to_owned();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            self.call(Some(&session), domain, json!({}));
        }
        self.call(
            Some(&session),
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        );
        session
    }

    /// Opens `url` in the page and waits for its load event.
    fn open(&mut self, session: &str, url: &str) {
        self.events
            .retain(|(s, m, _)| !(s.as_deref() == Some(session) && m == "Page.loadEventFired"));
        let nav = self.call(Some(session), "Page.navigate", json!({"url": url}));
        assert!(nav.get("errorText").is_none(), "cannot open {url}: {nav}");
        self.wait_for(session, "Page.loadEventFired");
    }

    /// Evaluates `expression` in the page; its value (JSON-serializable).
    fn eval(&mut self, session: &str, expression: &str) -> Value {
        let r = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(
            r.get("exceptionDetails").is_none(),
            "{expression} threw: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Console errors, exceptions and failed loads so far in the page.
    fn errors(&self, session: &str) -> Vec<String> {
        self.events
            .iter()
            .filter(|(s, _, _)| s.as_deref() == Some(session))
            .filter_map(|(_, m, p)| match m.as_str() {
                "Runtime.exceptionThrown" => Some(format!("exception: {}", p["exceptionDetails"])),
                "Runtime.consoleAPICalled" if p["type"] == "error" || p["type"] == "assert" => {
                    Some(format!("console.error: {}", p["args"]))
                }
                "Log.entryAdded" if p["entry"]["level"] == "error" => {
                    Some(format!("log: {} {}", p["entry"]["text"], p["entry"]["url"]))
                }
                _ => None,
            })
            .collect()
    }

    fn screenshot(&mut self, session: &str, path: &Path) {
        let shot = self.call(
            Some(session),
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64");
        std::fs::write(path, bytes).expect("write screenshot");
    }
}

/// Every link, image, stylesheet and script of the page, as absolute URLs.
const LINKS: &str = r#"JSON.stringify(Array.from(document.querySelectorAll("a[href], img[src], link[href], script[src]")).map(e => e.href || e.src))"#;

/// `url` (`file://…[#anchor]`) names an existing file, and an element with that id in it.
fn assert_resolves(url: &str, from: &str) {
    let rest = url
        .strip_prefix("file://")
        .unwrap_or_else(|| panic!("{from} links outside the catalog: {url}"));
    let (path, anchor) = rest.split_once('#').unwrap_or((rest, ""));
    let path = PathBuf::from(path.replace("%20", " "));
    assert!(path.is_file(), "{from} links to {url}, which does not exist");
    if !anchor.is_empty() {
        let text = std::fs::read_to_string(&path).expect("read linked page");
        assert!(
            text.contains(&format!("id=\"{anchor}\"")),
            "{from} links to {url}, which has no such anchor"
        );
    }
}

#[test]
fn the_catalog_works_in_chromium() {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/catalog-browser");
    let site_dir = target.join("site");
    let _ = std::fs::remove_dir_all(&site_dir);
    let site = crate::common::render_repo(&crate::common::example_repo());
    herald_catalog::write(&site, &site_dir).expect("write the site");
    let site_dir = site_dir.canonicalize().expect("canonical");
    let mut browser = Browser::launch();
    let page = browser.page();

    // The index: search by a field name only UserCreated has.
    let index = format!("file://{}", site_dir.join("index.html").display());
    browser.open(&page, &index);
    let errors = browser.errors(&page);
    assert!(errors.is_empty(), "index.html as loaded: {errors:?}");
    let found = browser.eval(
        &page,
        r##"(() => { const box = document.getElementById("search-box"); box.value = "signup_method"; box.dispatchEvent(new Event("input")); return Array.from(document.querySelectorAll("#search-results a")).map(a => a.textContent); })()"##,
    );
    assert_eq!(found, json!(["acme.user.v1.UserCreated"]), "search by field name");
    let count = browser.eval(&page, r#"document.getElementById("search-count").textContent"#);
    assert_eq!(count, json!("1 match"));
    // A word of a doc finds the events it describes.
    let found = browser.eval(
        &page,
        r##"(() => { const box = document.getElementById("search-box"); box.value = "bank"; box.dispatchEvent(new Event("input")); return Array.from(document.querySelectorAll("#search-results a")).map(a => a.textContent); })()"##,
    );
    assert!(
        found
            .as_array()
            .is_some_and(|a| a.contains(&json!("acme.accounting.BankError"))),
        "{found}"
    );
    browser.screenshot(&page, &target.join("index.png"));
    let links: Vec<String> = serde_json::from_str(browser.eval(&page, LINKS).as_str().expect("links")).expect("JSON");
    assert!(links.len() > 20, "{links:?}");
    for l in &links {
        assert_resolves(l, "index.html");
    }
    let errors = browser.errors(&page);
    assert!(errors.is_empty(), "index.html: {errors:?}");

    // An event page with two released versions: the comparison picks them and shows the verdict.
    let event = format!(
        "file://{}",
        site_dir.join("events/acme.accounting.BankError.html").display()
    );
    browser.open(&page, &event);
    let verdict = browser.eval(
        &page,
        r##"(() => { const f = document.getElementById("compare-from"), t = document.getElementById("compare-to"); f.value = "0"; t.value = "1"; t.dispatchEvent(new Event("change")); return [document.getElementById("compare-verdict").textContent, document.querySelectorAll("#compare-diff tbody tr").length]; })()"##,
    );
    assert_eq!(verdict, json!(["1.0 → 1.1: compatible (FULL)", 1]));
    let images = browser.eval(
        &page,
        r#"Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"#,
    );
    assert_eq!(images, json!(true), "the flow picture loads");
    browser.screenshot(&page, &target.join("event.png"));
    let links: Vec<String> = serde_json::from_str(browser.eval(&page, LINKS).as_str().expect("links")).expect("JSON");
    for l in &links {
        assert_resolves(l, "BankError.html");
    }
    let errors = browser.errors(&page);
    assert!(errors.is_empty(), "BankError.html: {errors:?}");

    // Every other page opens without an error, and its links resolve.
    for name in site
        .keys()
        .filter(|k| k.ends_with(".html") && k.as_str() != "index.html")
    {
        let url = format!("file://{}", site_dir.join(name).display());
        browser.open(&page, &url);
        let links: Vec<String> =
            serde_json::from_str(browser.eval(&page, LINKS).as_str().expect("links")).expect("JSON");
        for l in &links {
            assert_resolves(l, name);
        }
    }
    let errors = browser.errors(&page);
    assert!(errors.is_empty(), "{errors:?}");
}
