//! The `backoffice` binary: parses the command line and hands over to the server crate.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    backoffice::server::cli::main().await
}
