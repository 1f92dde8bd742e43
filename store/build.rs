//! Rebuilds the store when a migration changes: `sqlx::migrate!` embeds the SQL files at compile
//! time but does not track them itself.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
