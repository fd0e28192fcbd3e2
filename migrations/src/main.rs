//! The migration CLI: `up`, `down`, `status`, `fresh`, ... against `DATABASE_URL`,
//! falling back to `HSI__DATABASE__URL` and then to the bootstrapped local database.

use sea_orm_migration::prelude::*;

const LOCAL_DATABASE_URL: &str = "postgres://hsi:hsi@127.0.0.1:5432/hsi";

#[tokio::main]
async fn main() {
    if std::env::var_os("DATABASE_URL").is_none() {
        let url = std::env::var("HSI__DATABASE__URL").unwrap_or_else(|_| LOCAL_DATABASE_URL.into());
        // Set before any other thread exists, so nothing can read the environment concurrently.
        std::env::set_var("DATABASE_URL", url);
    }
    cli::run_cli(hsi_migrations::Migrator).await;
}
