//! Constant folding of templates: an interpolated string made of text only, and
//! lists/mappings whose items are all literals, become a single literal (so the engine
//! copies them instead of walking them).

use gale_bytecode::workflow::{Piece, Program, TaskInput, Template};
use serde_json::Value as Json;

/// Folds one template in place.
pub fn fold(t: &mut Template) {
    match t {
        Template::Interp(parts) if parts.iter().all(|p| matches!(p, Piece::Text(_))) => {
            let s: String = parts
                .iter()
                .map(|p| match p {
                    Piece::Text(s) => s.as_str(),
                    Piece::Yaql(_) => "",
                })
                .collect();
            *t = Template::Lit(Json::String(s));
        }
        Template::List(items) => {
            items.iter_mut().for_each(fold);
            if items.iter().all(Template::is_lit) {
                let vals = items
                    .iter()
                    .map(|i| match i {
                        Template::Lit(j) => j.clone(),
                        _ => Json::Null,
                    })
                    .collect();
                *t = Template::Lit(Json::Array(vals));
            }
        }
        Template::Dict(items) => {
            items.iter_mut().for_each(|(_, v)| fold(v));
            if items.iter().all(|(_, v)| v.is_lit()) {
                let mut m = serde_json::Map::new();
                for (k, v) in items.iter() {
                    if let Template::Lit(j) = v {
                        m.insert(k.clone(), j.clone());
                    }
                }
                *t = Template::Lit(Json::Object(m));
            }
        }
        _ => {}
    }
}

fn fold_opt(t: &mut Option<Template>) {
    if let Some(t) = t {
        fold(t);
    }
}

/// Runs the pass over a whole program.
pub fn run(p: &mut Program) {
    for w in &mut p.workflows {
        fold_opt(&mut w.output);
        fold_opt(&mut w.output_on_error);
        fold_opt(&mut w.vars);
        for t in &mut w.tasks {
            fold(&mut t.call);
            if let TaskInput::Map(x) | TaskInput::Expr(x) = &mut t.input {
                fold(x);
            }
            for (_, c) in &mut t.with_items {
                fold(c);
            }
            fold_opt(&mut t.publish);
            fold_opt(&mut t.publish_on_error);
            for c in [&mut t.on_success, &mut t.on_error, &mut t.on_complete] {
                if let Some(pb) = &mut c.publish {
                    fold_opt(&mut pb.branch);
                    fold_opt(&mut pb.global);
                    fold_opt(&mut pb.atomic);
                }
                for tr in &mut c.next {
                    fold(&mut tr.params);
                    fold_opt(&mut tr.guard);
                }
            }
        }
    }
    for a in &mut p.actions {
        fold(&mut a.base_input);
        fold_opt(&mut a.output);
    }
}
