//! Least privilege that holds at the door: each service role logs in with its own
//! secret (scripts/bootstrap generates them and asks PostgreSQL to check them), and no
//! role gets in with another role's secret.

use hsi_core::Service;
use hsi_testkit::{role_secret, TestDatabase};
use sea_orm::Database;

const SERVICES: [Service; 5] = [
    Service::FileWatcher,
    Service::DetectionWorker,
    Service::BatchAggregator,
    Service::AnalysisWorker,
    Service::Gateway,
];

#[tokio::test]
async fn each_service_role_logs_in_with_its_own_secret_and_no_other() {
    let db = TestDatabase::migrated().await;
    for service in SERVICES {
        let role = service.database_role();
        let own = Database::connect(db.url_for(service)).await;
        assert!(
            own.is_ok(),
            "{role} cannot log in with its own secret: {:?}",
            own.err()
        );
        for other in SERVICES.into_iter().filter(|other| *other != service) {
            let secret = role_secret(other.database_role());
            assert_ne!(
                secret,
                role_secret(role),
                "{role} and {} share a secret",
                other.database_role()
            );
            let refused = Database::connect(db.url_with_password(role, &secret)).await;
            let err = refused.expect_err(&format!(
                "{role} logged in with the secret of {}",
                other.database_role()
            ));
            assert!(
                err.to_string().contains("password authentication failed"),
                "{role} with a wrong secret: {err}"
            );
        }
    }
}
