//! Starts the chat demo on 127.0.0.1.
//!
//! ```sh
//! cargo run --release --manifest-path demo/Cargo.toml             # http://127.0.0.1:8080
//! cargo run --release --manifest-path demo/Cargo.toml -- 3000     # another port
//! ```

use std::net::{Ipv4Addr, SocketAddr};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::args().nth(1) {
        Some(p) => p.parse().map_err(|e| format!("port {p:?}: {e}"))?,
        None => 8080,
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    println!(
        "logits chat demo: http://{} (Ctrl-C stops it)",
        listener.local_addr()?
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    logits_demo::serve(listener, shutdown).await?;
    Ok(())
}
