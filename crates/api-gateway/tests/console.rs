//! The gateway serves the web console from `console.dir`: the page at `/` and at any
//! client-side path (a shared link), hashed assets cached for good (a missing one is a
//! 404, never the page), a strict Content-Security-Policy, and API paths never
//! answered with the console's HTML. The console's files need no key; its data does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::Method;
use support::Gateway;

const PAGE: &str =
    "<!doctype html><title>HSI</title><script type=module src=/assets/app-1a2b.js></script>";
const SCRIPT: &str = "console.log('hsi');";

async fn with_console() -> (Gateway, support::tempdir::Dir) {
    let dir = support::tempdir::Dir::new();
    std::fs::create_dir_all(dir.path().join("assets")).unwrap();
    std::fs::write(dir.path().join("index.html"), PAGE).unwrap();
    std::fs::write(dir.path().join("assets/app-1a2b.js"), SCRIPT).unwrap();
    let console_dir = dir.path().to_path_buf();
    let gw = Gateway::start_with(move |s| s.console.dir = Some(console_dir)).await;
    (gw, dir)
}

async fn get(gw: &Gateway, path: &str) -> reqwest::Response {
    gw.client.get(gw.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn the_page_is_served_at_the_root_and_at_client_side_paths_without_a_key() {
    let (gw, _dir) = with_console().await;
    for path in [
        "/",
        "/events/42?levels=high",
        "/cameras/front_door/zones",
        "/settings",
    ] {
        let response = get(&gw, path).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}: {:?}",
            headers["content-type"]
        );
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(response.text().await.unwrap(), PAGE, "{path}");
    }
}

#[tokio::test]
async fn hashed_assets_are_cached_for_good_and_a_missing_one_is_a_404() {
    let (gw, _dir) = with_console().await;
    let response = get(&gw, "/assets/app-1a2b.js").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.text().await.unwrap(), SCRIPT);

    let missing = get(&gw, "/assets/app-0000.js").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["cache-control"], "no-cache");
}

#[tokio::test]
async fn api_paths_and_other_methods_get_the_api_answer_not_the_page() {
    let (gw, _dir) = with_console().await;
    for path in ["/api/v1/no-such-thing", "/api/v1", "/ws/nothing"] {
        let response = get(&gw, path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
    // The API still wants its key behind the console.
    let response = get(&gw, "/api/v1/events").await;
    assert_eq!(response.status(), 401);
    let (status, _) = gw.get_json("/api/v1/events").await;
    assert_eq!(status, 200);
    // A POST to a console path is not the page.
    let response = gw.admin(Method::POST, "/settings").send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn nothing_outside_the_console_folder_is_served() {
    let (gw, dir) = with_console().await;
    let secret = dir
        .path()
        .parent()
        .unwrap()
        .join(format!("hsi-secret-{}", std::process::id()));
    std::fs::write(&secret, "secret").unwrap();
    let name = secret.file_name().unwrap().to_str().unwrap().to_owned();
    for path in [
        format!("/../{name}"),
        format!("/%2e%2e/{name}"),
        format!("/assets/..%2f..%2f{name}"),
        "/assets/../../../../etc/passwd".to_owned(),
    ] {
        let response = get(&gw, &path).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("secret") && !body.contains("root:"),
            "{path} leaked: {status} {body}"
        );
    }
    std::fs::remove_file(secret).unwrap();
}

#[tokio::test]
async fn without_a_console_the_root_is_a_json_404() {
    let gw = Gateway::start().await;
    let response = get(&gw, "/").await;
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}
