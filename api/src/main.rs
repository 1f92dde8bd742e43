//! The `buergeramt` binary: a shim over [`api::cli::run`].

#[tokio::main]
async fn main() -> anyhow::Result<std::process::ExitCode> {
    api::cli::run().await
}
