//! The `vignette` binary: parse and validate settings, bind, serve until SIGTERM.

use clap::Parser;
use std::process::ExitCode;
use vignette::AppState;
use vignette::Cli;
use vignette::Metrics;

fn main() -> ExitCode {
    vignette::release_large_buffers();
    let settings = match Cli::parse().validate() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vignette: {e}");
            return ExitCode::from(2);
        }
    };
    vignette::init_telemetry(settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vignette: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vignette: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: vignette::Settings) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {} (--listen): {e}", settings.listen),
            )
        })?;
    let admin = tokio::net::TcpListener::bind(settings.admin_listen)
        .await
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot listen on {} (--admin-listen): {e}",
                    settings.admin_listen
                ),
            )
        })?;
    let state = AppState::build(settings, Metrics::new()).await?;
    let addr = listener.local_addr()?;
    let admin_addr = admin.local_addr()?;
    tracing::info!(
        %addr,
        %admin_addr,
        workers = state.settings.queue.workers,
        images = %state.settings.images_dir.display(),
        "vignette listening"
    );
    println!(
        "vignette serving {} on http://{addr}",
        state.settings.images_dir.display()
    );
    if state.settings.gallery {
        println!("  gallery: open http://{addr}/ in a browser");
    }
    if let Some(id) = example_identifier(&state.settings.images_dir) {
        println!("  try: http://{addr}/iiif/3/{id}/full/400,/0/default.webp");
    }
    println!("  metrics and health on http://{admin_addr}/metrics, /health/ready");
    vignette::run(listener, admin, state, vignette::shutdown_signal()).await
}

/// A file of the images directory to show in the example URL: the largest JPEG, else the
/// largest image.
fn example_identifier(dir: &std::path::Path) -> Option<String> {
    let mut images: Vec<(bool, u64, String)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let meta = e.metadata().ok().filter(|m| m.is_file())?;
            let name = e.file_name().into_string().ok()?;
            let lower = name.to_ascii_lowercase();
            let image = [".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif"]
                .iter()
                .any(|ext| lower.ends_with(ext));
            (image && !name.starts_with('.')).then(|| (lower.ends_with(".jpg"), meta.len(), name))
        })
        .collect();
    images.sort();
    images.pop().map(|(_, _, name)| name)
}
