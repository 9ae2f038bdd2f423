//! The page in a real browser: headless Chromium driven over WebDriver (chromedriver). It loads
//! the page, waits for the chart, moves the temperature slider with the keyboard, types a
//! prompt, sends it and reads the reply from the page; the request must carry the slider's
//! temperature and the reply must be the one the API gives for the same request.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`;
//! `.ci/run` installs them); other paths through `CHROMIUM` and `CHROMEDRIVER`. Without them the
//! test fails, saying so.

mod common;

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// chromedriver, killed when dropped (it ends the browsers it started).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn program(env: &str, default: &str) -> String {
    let path = std::env::var(env).unwrap_or_else(|_| default.to_string());
    let found = Command::new(&path)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{path} is not installed (set {env}, or on Debian: apt-get install chromium chromium-driver)"
    );
    path
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Starts chromedriver and connects a headless Chromium session to it.
async fn browser(user_data_dir: &std::path::Path) -> (Driver, Client) {
    let chromium = program("CHROMIUM", "/usr/bin/chromium");
    let chromedriver = program("CHROMEDRIVER", "chromedriver");
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    let mut capabilities = serde_json::Map::new();
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1000,900",
    ];
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    args.push(format!("--user-data-dir={}", user_data_dir.display()));
    capabilities.insert(
        "goog:chromeOptions".to_string(),
        json!({ "binary": chromium, "args": args }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return (driver, client),
            Err(e) if Instant::now() > deadline => panic!("no WebDriver session at {url}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Polls `script` until it returns something other than `null` or `false`.
async fn wait_for(client: &Client, what: &str, script: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = client.execute(script, vec![]).await.expect("run a script");
        if !matches!(value, Value::Null | Value::Bool(false)) {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn text_of(client: &Client, id: &str) -> String {
    let script = format!("return document.getElementById('{id}').textContent");
    let value = client
        .execute(&script, vec![])
        .await
        .expect("read the page");
    value.as_str().unwrap_or_default().to_string()
}

async fn session(client: &Client, base: &str) -> Value {
    client.goto(base).await.expect("load the page");

    // The chart is drawn once the page has asked for the first token's distribution.
    let bars = "const n = document.querySelectorAll('#chart rect.bar').length; return n > 0 && n";
    let initial_bars = wait_for(client, "the first chart", bars).await;
    assert_eq!(text_of(client, "temperature-value").await, "0.90");

    // Eleven steps of 0.05 to the left with the keyboard: 0.9 -> 0.35.
    let slider = client
        .find(Locator::Id("temperature"))
        .await
        .expect("the slider");
    slider.click().await.expect("focus the slider");
    let value = slider
        .prop("value")
        .await
        .expect("its value")
        .unwrap_or_default();
    let steps = ((value.parse::<f64>().expect("a number") - 0.35) / 0.05).round() as usize;
    for _ in 0..steps {
        slider
            .send_keys(&Key::Left.to_string())
            .await
            .expect("press Left");
    }
    let value = slider
        .prop("value")
        .await
        .expect("its value")
        .unwrap_or_default();
    assert_eq!(value, "0.35", "the slider after {steps} presses of Left");
    assert_eq!(text_of(client, "temperature-value").await, "0.35");
    let caption = "const c = document.getElementById('chart-caption').textContent;
                   return c.includes('T = 0.35') && c";
    wait_for(client, "the chart at T = 0.35", caption).await;

    let prompt = client
        .find(Locator::Id("prompt"))
        .await
        .expect("the prompt box");
    prompt.clear().await.expect("clear the prompt");
    prompt
        .send_keys("And Joseph said")
        .await
        .expect("type a prompt");
    client
        .find(Locator::Id("send"))
        .await
        .expect("the send button")
        .click()
        .await
        .expect("click send");
    let used = "const u = document.getElementById('used'); return u.dataset.temperature || false";
    let shown_temperature = wait_for(client, "the reply", used).await;
    let request = client
        .execute("return window.lastChatRequest", vec![])
        .await
        .expect("read the request");
    json!({
        "initial_bars": initial_bars,
        "request": request,
        "shown_temperature": shown_temperature,
        "reply": text_of(client, "reply").await,
        "error": text_of(client, "error").await,
        "bars": client
            .execute("return document.querySelectorAll('#chart rect.bar').length", vec![])
            .await
            .expect("count the bars"),
    })
}

#[test]
fn the_page_sends_the_sliders_temperature_and_shows_the_reply() {
    let server = common::start();
    let base = format!("http://{}/", server.addr);
    let profile = std::env::temp_dir().join(format!("logits-demo-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let seen = runtime.block_on(async {
        let (driver, client) = browser(&profile).await;
        let seen = session(&client, &base).await;
        let _ = client.close().await;
        drop(driver);
        seen
    });
    let _ = std::fs::remove_dir_all(&profile);
    println!("what the browser saw: {seen:#}");

    assert_eq!(seen["error"], "", "the page showed an error");
    assert!(seen["initial_bars"].as_u64().unwrap_or(0) > 1, "{seen}");
    let request = &seen["request"];
    assert_eq!(request["temperature"].as_f64(), Some(0.35), "{request}");
    assert_eq!(request["prompt"], "And Joseph said");
    assert_eq!(seen["shown_temperature"], "0.35");
    assert!(seen["bars"].as_u64().unwrap_or(0) > 1, "{seen}");

    // The reply on the page is the API's reply to the same request.
    let api = common::post_chat(server.addr, &request.to_string());
    assert_eq!(api.status, 200, "{}", api.body);
    let expected = api.json()["text"].as_str().unwrap_or_default().to_string();
    assert!(expected.starts_with("And Joseph said "), "{expected}");
    assert_eq!(seen["reply"].as_str(), Some(expected.as_str()));
}
