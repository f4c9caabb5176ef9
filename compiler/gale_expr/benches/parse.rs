//! `cargo bench -p gale_expr --bench parse`: timing of the parsers on typical
//! expressions (best of 7 rounds; figures go to docs/performance.md, never asserted).

use std::hint::black_box;
use std::time::Instant;

fn time(name: &str, n: u32, f: impl Fn()) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    // The machine is shared: report the best of several rounds.
    let mut ns = f64::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..n / 5 {
            f();
        }
        ns = ns.min(t.elapsed().as_nanos() as f64 / f64::from(n / 5));
    }
    println!("{name:<60} {ns:>8.0} ns");
    ns
}

fn main() {
    let yaql = [
        " $.foo ",
        " $.vm_info.name ",
        " $.items.where($.state = 'ERROR').select($.id) ",
        " task(get_vms).result.vms.select({name => $.name, id => $.id}) ",
        " len($.x) > 0 and not $.flag or $.y in [1, 2, 3] ",
    ];
    for e in yaql {
        time(&format!("yaql::parse {e:?}"), 100_000, || {
            black_box(gale_expr::yaql::parse(black_box(e)));
        });
    }
    time("yaql::parse \"\" (error path)", 100_000, || {
        black_box(gale_expr::yaql::parse(black_box("")));
    });
    time("lex", 100_000, || {
        black_box(gale_expr::yaql::lexer::lex(black_box(
            " $.items.where($.state = 'ERROR').select($.id) ",
        )));
    });
    let strings = [
        "<% $.foo %>",
        "{{ _.foo }}",
        "{{ _.items | selectattr('state', 'eq', 'ERROR') | map(attribute='id') | list }}",
        "{% for x in _.items %}{{ x.name }}, {% endfor %}",
        "plain text value",
        "http://<% $.host %>:<% $.port %>/path",
    ];
    for s in strings {
        time(&format!("check_string {s:?}"), 100_000, || {
            black_box(gale_expr::check_string(black_box(s)));
        });
    }
}
