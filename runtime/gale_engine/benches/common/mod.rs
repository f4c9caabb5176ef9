//! Workflow generators shared by the engine benchmarks (`engine`, `durable`).

/// A chain of `n` `std.noop` tasks, each starting the next on success.
pub fn noop_chain(n: usize) -> String {
    let mut s = String::from("version: '2.0'\nwf:\n  tasks:\n");
    for i in 0..n {
        s.push_str(&format!("    t{i}:\n      action: std.noop\n"));
        if i + 1 < n {
            s.push_str(&format!("      on-success: t{}\n", i + 1));
        }
    }
    s
}

/// with-items over `range(n)` with a bare `std.noop` per item (no expression, no
/// publish): the engine's own per-item cost and memory.
pub fn noop_with_items(n: usize) -> String {
    format!(
        "version: '2.0'\nwf:\n  tasks:\n    t:\n      with-items: i in <% range({n}) %>\n      action: std.noop\n"
    )
}
