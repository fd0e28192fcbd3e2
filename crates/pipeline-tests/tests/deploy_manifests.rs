//! The deployment files name only what the code really has. No container engine or
//! cluster runs here, so they are checked by rendering and reading them: both
//! Kubernetes overlays render with `kubectl kustomize`; every container (Kubernetes and
//! compose) runs a workspace binary, with `HSI__...` settings its service knows and that
//! validate, on ports it listens on, probed on paths it serves, as its own database
//! role; GPUs appear only in the gpu variants; KEDA watches the streams and consumer
//! groups the workers consume; hadolint passes the Dockerfile.

mod deploy_support;

use deploy_support::*;
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn both_overlays_render_and_every_workload_matches_its_service() {
    let binaries = workspace_binaries();
    for overlay in ["cpu", "gpu"] {
        let docs = render(overlay);
        let mut secret_users: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for workload in docs
            .iter()
            .filter(|d| matches!(kind(d), "Deployment" | "Job"))
        {
            let name = format!("{overlay}/{}", str_at(workload, &["metadata", "name"]));
            let pod = at(workload, &["spec", "template"]);
            for container in seq_at(pod, &["spec", "containers"]) {
                let binary = seq_at(container, &["command"])
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                assert!(
                    binaries.contains(&binary),
                    "{name}: runs {binary:?}, which no workspace crate builds ({binaries:?})"
                );
                let env = container_env(&docs, container, &mut secret_users, &name);
                if binary == "hsi-migrations" {
                    assert!(env["DATABASE_URL"].starts_with("postgres://hsi:"), "{name}");
                    continue;
                }
                let service = SERVICES
                    .iter()
                    .find(|s| s.binary == binary)
                    .unwrap_or_else(|| panic!("{name}: {binary} is not a service"));
                let facts = service
                    .load(&env)
                    .unwrap_or_else(|err| panic!("{name}: {err}"));
                assert_eq!(facts.db_user, service.role, "{name}: database role");
                check_ports_and_probes(&name, service, &facts, pod, container);
                if kind(workload) == "Deployment" {
                    check_network_policy(&docs, &name, workload, &facts);
                }
            }
        }
        // One Secret per role, each read by its own workload alone.
        for (secret, users) in &secret_users {
            if secret.starts_with("hsi-db-") {
                assert_eq!(users.len(), 1, "{secret} is shared by {users:?}");
            }
        }
        for role in ["owner"].iter().chain(SERVICES.iter().map(|s| &s.short)) {
            assert!(
                secret_users.contains_key(&format!("hsi-db-{role}")),
                "{overlay}: nobody uses hsi-db-{role}"
            );
        }
        check_services_target_named_ports(&docs, overlay);
    }
}

#[test]
fn gpus_and_the_cuda_image_appear_only_in_the_gpu_overlay() {
    for overlay in ["cpu", "gpu"] {
        for workload in render(overlay).iter().filter(|d| kind(d) == "Deployment") {
            let name = str_at(workload, &["metadata", "name"]);
            for container in seq_at(workload, &["spec", "template", "spec", "containers"]) {
                let gpus = container["resources"]["limits"]["nvidia.com/gpu"].as_u64();
                let image = str_at(container, &["image"]);
                let expect_gpu = overlay == "gpu" && name == "detection-worker";
                assert_eq!(gpus.is_some(), expect_gpu, "{overlay}/{name}: GPU limit");
                assert_eq!(
                    image.ends_with("-cuda"),
                    expect_gpu,
                    "{overlay}/{name}: {image}"
                );
                if let Some(gpus) = gpus {
                    assert_eq!(gpus, 1, "{overlay}/{name}: one GPU per replica");
                }
            }
        }
    }
    let compose = std::fs::read_to_string(repo("deploy/compose/compose.yaml")).expect("compose");
    assert!(!compose.contains("nvidia"), "compose.yaml asks for a GPU");
    let gpu = compose_doc("deploy/compose/compose.gpu.yaml");
    let worker = &gpu["services"]["detection-worker"];
    assert_eq!(str_at(worker, &["build", "target"]), "cuda");
    let devices = seq_at(worker, &["deploy", "resources", "reservations", "devices"]);
    assert_eq!(str_at(&devices[0], &["driver"]), "nvidia");
    assert_eq!(gpu["services"].as_mapping().map(|m| m.len()), Some(1));
}

#[test]
fn keda_watches_the_streams_and_groups_the_workers_consume() {
    for overlay in ["cpu", "gpu"] {
        let docs = render(overlay);
        let scaled: Vec<&Value> = docs.iter().filter(|d| kind(d) == "ScaledObject").collect();
        let targets: BTreeSet<&str> = scaled
            .iter()
            .map(|s| str_at(s, &["spec", "scaleTargetRef", "name"]))
            .collect();
        assert_eq!(
            targets,
            BTreeSet::from(["analysis-worker", "detection-worker"]),
            "{overlay}"
        );
        for object in scaled {
            let target = str_at(object, &["spec", "scaleTargetRef", "name"]);
            let deployment = docs
                .iter()
                .find(|d| kind(d) == "Deployment" && str_at(d, &["metadata", "name"]) == target)
                .unwrap_or_else(|| panic!("{overlay}: no Deployment {target}"));
            // A replica count in the Deployment would fight the autoscaler on every apply.
            assert!(
                deployment["spec"]["replicas"].is_null(),
                "{overlay}/{target}: replicas is the autoscaler's"
            );
            let container = &seq_at(deployment, &["spec", "template", "spec", "containers"])[0];
            let binary = seq_at(container, &["command"])[0]
                .as_str()
                .expect("command");
            let service = SERVICES
                .iter()
                .find(|s| s.binary == binary)
                .expect("service");
            let env = container_env(&docs, container, &mut BTreeMap::new(), target);
            let facts = service.load(&env).expect("settings");
            let (stream, group) = facts.stream.expect("a consuming worker");
            let (address, database) = redis_address(&facts.redis_url);
            let triggers = seq_at(object, &["spec", "triggers"]);
            let mut modes = BTreeSet::new();
            for trigger in triggers {
                let meta = &trigger["metadata"];
                assert_eq!(str_at(trigger, &["type"]), "redis-streams");
                assert_eq!(str_at(meta, &["stream"]), stream, "{overlay}/{target}");
                assert_eq!(
                    str_at(meta, &["consumerGroup"]),
                    group,
                    "{overlay}/{target}"
                );
                assert_eq!(str_at(meta, &["address"]), address, "{overlay}/{target}");
                assert_eq!(
                    str_at(meta, &["databaseIndex"]),
                    database,
                    "{overlay}/{target}"
                );
                for mode in ["pendingEntriesCount", "lagCount"] {
                    if let Some(count) = meta[mode].as_str() {
                        assert!(count.parse::<u32>().is_ok_and(|n| n > 0), "{mode} {count}");
                        modes.insert(mode);
                    }
                }
            }
            assert!(modes.contains("pendingEntriesCount"), "{overlay}/{target}");
        }
    }
}

/// The placeholder token in the base's Secrets is too short for a service to accept,
/// so a deployment that forgot to replace it refuses to start rather than run with it.
#[test]
fn the_placeholder_grpc_token_is_refused() {
    let docs = render("cpu");
    let secret = docs
        .iter()
        .find(|d| kind(d) == "Secret" && str_at(d, &["metadata", "name"]) == "hsi-grpc-token")
        .expect("Secret hsi-grpc-token");
    let placeholder = secret_value(secret, "token");
    let env = BTreeMap::from([
        ("HSI__GRPC__LISTEN".to_owned(), "0.0.0.0:50061".to_owned()),
        ("HSI__GRPC__TOKEN".to_owned(), placeholder),
    ]);
    let err = SERVICES[1].load(&env).expect_err("a placeholder token");
    assert!(err.contains("grpc.token"), "{err}");
}

#[test]
fn every_compose_service_matches_its_binary_settings_and_ports() {
    let binaries = workspace_binaries();
    let doc = compose_doc("deploy/compose/compose.yaml");
    let services = doc["services"].as_mapping().expect("services");
    let entrypoint = serde_yaml::to_string(&doc["x-hsi-entrypoint"]).expect("entrypoint");
    for key in [
        "HSI__DATABASE__URL",
        "HSI__GRPC__TOKEN",
        "HSI__SERVICES__TOKEN",
    ] {
        assert!(entrypoint.contains(&format!("export {key}=")), "{key}");
    }
    let secrets = doc["secrets"].as_mapping().expect("secrets");
    let mut seen = BTreeSet::new();
    for (name, spec) in services {
        let name = name.as_str().expect("service name");
        let image = spec["image"].as_str().unwrap_or_default();
        for (key, value) in spec["build"].as_mapping().into_iter().flatten() {
            if key.as_str() == Some("target") {
                let target = value.as_str().expect("target");
                assert!(
                    dockerfile_stages().contains(&target.to_owned()),
                    "{name}: {target}"
                );
            }
        }
        if !image.starts_with("hsi:") {
            continue;
        }
        let binary = seq_at(spec, &["command"])[0]
            .as_str()
            .expect("command")
            .to_owned();
        assert!(binaries.contains(&binary), "{name}: no binary {binary}");
        let env = compose_env(name, spec, secrets);
        if binary == "hsi-migrations" {
            assert_eq!(env["DB_ROLE"], "hsi", "{name}");
            continue;
        }
        let service = SERVICES
            .iter()
            .find(|s| s.binary == binary)
            .unwrap_or_else(|| panic!("{name}: {binary} is not a service"));
        assert_eq!(name, service.short, "service name");
        seen.insert(name);
        let facts = service
            .load(&env)
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(facts.db_user, service.role, "{name}: DB_ROLE");
        check_compose_ports(name, spec, &facts);
        check_prometheus_target(name, &facts);
    }
    assert_eq!(
        seen.len(),
        SERVICES.len(),
        "compose runs every service once"
    );
    for infra in [
        "postgres",
        "redis",
        "llm",
        "migrate",
        "prometheus",
        "grafana",
    ] {
        assert!(services.contains_key(infra), "compose lacks {infra}");
    }
    let redis = serde_yaml::to_string(&doc["services"]["redis"]["command"]).expect("redis");
    assert!(
        redis.contains("--appendonly") && redis.contains("yes"),
        "AOF: {redis}"
    );
    check_compose_mounts(&doc);
}

#[test]
fn the_dockerfile_builds_every_binary_the_deployments_run_and_lints_clean() {
    let binaries = workspace_binaries();
    let dockerfile = std::fs::read_to_string(repo("deploy/Dockerfile")).expect("Dockerfile");
    let stages = dockerfile_stages();
    for stage in ["build", "torch-cuda", "runtime", "cuda", "cpu"] {
        assert!(
            stages.contains(&stage.to_owned()),
            "no stage {stage}: {stages:?}"
        );
    }
    assert_eq!(
        stages.last().map(String::as_str),
        Some("cpu"),
        "cpu is the default"
    );
    for line in dockerfile.lines() {
        if let Some(from) = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("--from="))
        {
            assert!(
                stages.contains(&from.to_owned()),
                "COPY from unknown stage {from}"
            );
        }
        assert!(
            !line.contains("ENV HSI__"),
            "settings belong to one service: {line}"
        );
    }
    let shipped: BTreeSet<String> = dockerfile
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("/cache/target/release/"))
        .map(str::to_owned)
        .collect();
    let mut wanted: BTreeSet<String> = SERVICES.iter().map(|s| s.binary.to_owned()).collect();
    wanted.extend(["hsi-migrations".to_owned(), "hsi".to_owned()]);
    assert_eq!(shipped, wanted, "binaries copied into the image");
    for binary in &shipped {
        assert!(binaries.contains(binary), "{binary} is built by no crate");
    }
    for folder in [
        "/var/lib/hsi/cameras",
        "/var/lib/hsi/thumbnails",
        "/var/lib/hsi/models",
    ] {
        assert!(
            dockerfile.contains(folder),
            "the image does not create {folder}"
        );
    }
    assert!(dockerfile.contains("chown -R hsi:hsi /var/lib/hsi"));
    assert!(dockerfile.contains("USER 10001:10001"));
    hadolint();
}

/// The probe paths the manifests use are served: /healthz and /readyz by the gateway's
/// router, /health and /metrics by every service's metrics listener (started here).
#[tokio::test]
async fn the_probed_paths_are_served() {
    let rest = std::fs::read_to_string(repo("crates/api-gateway/src/rest.rs")).expect("rest.rs");
    for path in GATEWAY_HTTP_PATHS {
        assert!(
            rest.contains(&format!(".route(\"{path}\"")),
            "gateway: {path}"
        );
    }
    let port = free_port();
    let settings = hsi_core::metrics_export::MetricsSettings {
        listen: Some(([127, 0, 0, 1], port).into()),
    };
    hsi_core::metrics_export::install(&settings, "deploy-test").expect("exporter");
    for path in METRICS_PATHS {
        let status = http_status(port, path).await;
        assert_eq!(status, 200, "metrics listener: {path}");
    }
}
