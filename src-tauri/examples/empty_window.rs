//! An empty Tauri window with the app's Tauri build and configuration: the floor
//! `cargo xtask bench app` measures the app's start-up time and memory against.

fn main() {
    let mut context = tauri::generate_context!();
    // No windows from the configuration: one blank page instead of the app's UI.
    context.config_mut().app.windows.clear();
    let result = tauri::Builder::default()
        .setup(|app| {
            let url = tauri::WebviewUrl::External("about:blank".parse().expect("a valid URL"));
            tauri::WebviewWindowBuilder::new(app, "main", url).title("Empty").build()?;
            Ok(())
        })
        .run(context);
    if let Err(e) = result {
        eprintln!("empty_window: {e}");
        std::process::exit(1);
    }
}
