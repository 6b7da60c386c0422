//! Formatting generated code with prettyplease, on every core: code is formatted item by item
//! (and prost's output module by module), then joined in a fixed order, so the result is the
//! same whatever the thread count.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Formats each piece of Rust source; the output keeps the input order. An error names the
/// piece that did not parse (a herald bug).
pub fn format_all(pieces: Vec<String>) -> Result<Vec<String>, String> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Result<String, String>)>> = Mutex::new(Vec::with_capacity(pieces.len()));
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(pieces.len())
        .max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(piece) = pieces.get(i) else { break };
                let result = syn::parse_file(piece)
                    .map(|file| prettyplease::unparse(&file))
                    .map_err(|e| format!("generated code does not parse ({e}); this is a herald bug"));
                if let Ok(mut d) = done.lock() {
                    d.push((i, result));
                }
            });
        }
    });
    let mut done = done
        .into_inner()
        .map_err(|_| "a formatting thread panicked".to_owned())?;
    if done.len() != pieces.len() {
        return Err("a formatting thread panicked".to_owned());
    }
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Indents formatted code by `levels` (generated code has no multi-line string literals, so
/// line-by-line indentation keeps it valid and formatted).
pub fn indent(code: &str, levels: usize, out: &mut String) {
    let pad = "    ".repeat(levels);
    for line in code.lines() {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
}
