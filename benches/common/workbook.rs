//! The large workbook the language-server benchmarks edit (`benches/lsp.rs` and
//! `lsp/gale_lsp/benches/keystroke.rs`, which includes this file by path).

/// A workbook of `workflows` × `tasks` chained tasks with publishes and
/// expressions (~5 lines per task).
pub fn workbook(workflows: usize, tasks: usize) -> String {
    let mut s = String::from("version: '2.0'\nname: big\nworkflows:\n");
    for w in 0..workflows {
        s.push_str(&format!("  wf{w}:\n    input:\n      - x\n    tasks:\n"));
        for t in 0..tasks {
            s.push_str(&format!("      t{t}:\n        action: std.echo output=\"<% $.x %> {t}\"\n        publish:\n          v{t}: <% task().result %>\n"));
            if t + 1 < tasks {
                s.push_str(&format!("        on-success: [t{}]\n", t + 1));
            }
        }
    }
    s
}
